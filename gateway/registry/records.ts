import type {
  Credential,
  HighRiskRegion,
  Household,
  Person,
  QuarantineOrder,
  Vehicle,
  VisitorRegistration,
} from '../domain/model.js';
import type { DocumentPath, RegistryFragment } from './fragment.js';

/**
 * The registry's records: model entities plus what only the store and operators see. What a
 * document converts into, what the store writes and reads back, what an export is made from.
 */

/** A person as the store keeps it: the model's person plus what only operators may see. */
export interface PersonRecord extends Person {
  /** Never logged; exported only on request. */
  name?: string;
  idHash?: string;
  idMasked?: string;
}

export interface RegionRecord extends HighRiskRegion {
  name?: string;
}

/** Model entities ready to write, as converted from one or more documents. */
export interface RegistryRecords {
  households: Household[];
  persons: PersonRecord[];
  credentials: Credential[];
  visitors: VisitorRegistration[];
  quarantineOrders: QuarantineOrder[];
  highRiskRegions: RegionRecord[];
  vehicles: Vehicle[];
}

/** A credential implied by another entry (a person's ID number, a vehicle's plate) and where it came from. */
export interface DerivedCredential {
  credential: Credential;
  path: DocumentPath;
}

export interface ConvertedFragment {
  fragment: RegistryFragment;
  records: RegistryRecords;
  derived: DerivedCredential[];
}

export interface ConvertOptions {
  /** The site's pseudonym key (see `pseudonymKey`). */
  key: Buffer;
  /** IANA zone for instants written without an offset. */
  timeZone: string;
  /** For the "birth date not in the future" check. */
  now: number;
}

/** The id of the `idcard` credential implied by a person's ID number. */
export const derivedIdcardId = (personId: string): string => `${personId}#idcard`;
/** The id of the `plate` credential implied by a vehicle's plate. */
export const derivedPlateId = (vehicleId: string): string => `${vehicleId}#plate`;
/** The id of a credential given without one. */
export const defaultCredentialId = (kind: string, value: string): string => `${kind}:${value}`;

export function emptyRecords(): RegistryRecords {
  return {
    households: [],
    persons: [],
    credentials: [],
    visitors: [],
    quarantineOrders: [],
    highRiskRegions: [],
    vehicles: [],
  };
}
