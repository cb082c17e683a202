import { homeQuarantineOnly, livesBehind } from './entrance.js';
import type { Facts } from './facts.js';
import { ALL, BUILDING, deny, isOnDutyStaff, isResidentHere, type Rule } from './rule.js';
import type { RegistryView } from './types.js';

/**
 * The rules that only building entrances have (gates of kind `building`: the door of a
 * building, or of one unit of it, inside the community). The rest of the table applies there
 * as its `gates` say; docs/rules.md sums it up under "Building entrances".
 */

/**
 * Sealed: an order in force targets this building or this unit (entrance.ts, `seals`). Only
 * on-duty staff (as in lockdown: a sealed building is a lockdown of that building), an
 * operator override and a fire release pass. One exception, RULES.md's for quarantine: a
 * resident of the sealed building coming home, under home quarantine only, is let in; the
 * QUARANTINED notice raises the alarm, as at the perimeter. Refusing them would leave them at
 * the door of their own home. A resident of it going out is refused here and by QUARANTINED.
 */
export const BUILDING_SEALED: Rule = {
  code: 'BUILDING_SEALED',
  modes: ALL,
  gates: BUILDING,
  explains:
    'A building or unit under a quarantine order in force is sealed while the rest of the site stays in its mode (plan 1 §5): nobody passes its doors but on-duty staff with a work certificate. A resident of it under home quarantine only coming home is let in with the QUARANTINED alarm, as RULES.md says for returning home; going out they are refused (and QUARANTINED).',
  check: (f, _p, _c, registry) => {
    const order = f.sealedBy;
    if (order === undefined || isOnDutyStaff(f, registry)) return undefined;
    if (f.direction === 'in' && isResidentHere(f) && homeQuarantineOnly(f.orders, f.at)) return undefined;
    return deny('BUILDING_SEALED', { order: order.id });
  },
};

/**
 * Who may go in at a building entrance: its residents, staff, and a visitor, repair worker or
 * courier with a registration valid now whose host household lives behind it (a registration
 * without a host household opens no building door). Leaving a building is never refused for
 * not belonging there: nobody should be held inside a building they should not be in (its
 * exit button opens the door anyway). A vehicle has no business at a building's door.
 */
export const NOT_THIS_BUILDING: Rule = {
  code: 'NOT_THIS_BUILDING',
  modes: ALL,
  gates: BUILDING,
  explains:
    'A building entrance lets in its own residents (of its unit, for a unit’s door), staff, and visitors or repair workers with a registration valid now whose host household lives there; others go to their own building. Leaving a building is not refused for this.',
  check: (f, _p, _c, registry) => {
    if (f.presented?.kind === 'plate') return deny('NOT_THIS_BUILDING');
    if (f.direction !== 'in' || f.person === undefined || belongsHere(f, registry)) return undefined;
    return deny('NOT_THIS_BUILDING');
  },
};

function belongsHere(f: Facts, registry: RegistryView): boolean {
  const entrance = f.entrance;
  if (entrance === undefined) return true;
  switch (f.person?.kind) {
    case 'resident':
      return isResidentHere(f);
    case 'staff':
      return true;
    case undefined:
      return false;
    default:
      return f.validRegistrations.some(
        (r) =>
          r.hostHouseholdId !== undefined && livesBehind(registry.household(r.hostHouseholdId), entrance),
      );
  }
}
