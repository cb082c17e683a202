import { openDatabase } from '../../gateway/db.js';
import { DatabaseRegistryView } from '../../gateway/registry/database-view.js';
import { emptyRecords, type RegistryRecords } from '../../gateway/registry/records.js';
import { RegistrySnapshot } from '../../gateway/registry/snapshot.js';
import { readSnapshotInput } from '../../gateway/registry/store-read.js';
import { createRegistryTables } from '../../gateway/registry/store-schema.js';
import { RegistryWriter } from '../../gateway/registry/store-write.js';

/**
 * One registry written to an in-memory database and read back both ways: the snapshot the
 * gateway loads (`RegistryStore.loadSnapshot`) and the database view over the same tables.
 */
export function registryViews(records: Partial<RegistryRecords>): {
  snapshot: RegistrySnapshot;
  database: DatabaseRegistryView;
  close: () => void;
} {
  const db = openDatabase(':memory:');
  createRegistryTables(db);
  const writer = new RegistryWriter(db);
  const all: RegistryRecords = { ...emptyRecords(), ...records };
  db.transaction(() => writer.write(all, 'replace'))();
  return {
    snapshot: new RegistrySnapshot(readSnapshotInput(db)),
    database: new DatabaseRegistryView(db),
    close: () => db.close(),
  };
}
