/** How the rules read the registry: configuration `registry.view` (docs/registry.md "Registry views"). */
export const REGISTRY_VIEWS = ['auto', 'memory', 'database'] as const;
export type RegistryViewChoice = (typeof REGISTRY_VIEWS)[number];

/**
 * Above this many persons `auto` reads the registry from the database. Below it a snapshot is a
 * few megabytes and built in tens of milliseconds; at 100,000 residents it was ~104 MB of heap
 * and seconds of CPU at start (docs/performance.md "Footprint with 100,000 residents").
 */
export const DATABASE_VIEW_ABOVE_PERSONS = 20_000;

/** The view a registry of `persons` persons is read through under `choice`. */
export function viewFor(choice: RegistryViewChoice, persons: number): 'memory' | 'database' {
  if (choice !== 'auto') return choice;
  return persons > DATABASE_VIEW_ABOVE_PERSONS ? 'database' : 'memory';
}
