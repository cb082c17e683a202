import type { Direction, GateKind, LaneKind } from '../domain/model.js';
import { GatewardenError } from '../errors.js';
import type { GateRef } from '../rules/types.js';

/** The gates and lanes the checkpoint decides for, as the configuration lists them. */
export interface SiteLayout {
  gates: readonly {
    id: string;
    primary: boolean;
    /** Absent: perimeter. A building gate needs `building`; `unit` makes it one unit's door. */
    kind?: GateKind;
    building?: string;
    unit?: string;
    lanes: readonly { id: string; kind: LaneKind; direction: Direction }[];
  }[];
}

/** The rules' view of a configured gate; a building gate without its building is refused (the config schema says so first). */
export function gateRef(gate: SiteLayout['gates'][number], index: number): GateRef {
  if (gate.kind === undefined || gate.kind === 'perimeter') return { id: gate.id, primary: gate.primary };
  if (gate.building === undefined || gate.primary) {
    throw new GatewardenError('CONFIG_INVALID', `building gate "${gate.id}" is invalid`, {
      problems: [
        gate.building === undefined
          ? {
              field: `gates.${index}.building`,
              message: 'a building gate needs the building it is the entrance of',
            }
          : { field: `gates.${index}.primary`, message: 'a building gate cannot be primary' },
      ],
    });
  }
  const entrance =
    gate.unit === undefined ? { building: gate.building } : { building: gate.building, unit: gate.unit };
  return { id: gate.id, kind: 'building', primary: false, entrance };
}
