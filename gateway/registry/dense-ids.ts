/**
 * Dense integer indices for string ids, so that per-id state can live in typed arrays.
 *
 * Contract: an index, once given to an id, belongs to that id for the life of the process, and
 * indices are handed out 0, 1, 2, … with no gaps. The table only grows: an id that a newer
 * registry snapshot no longer holds keeps its index, so state kept by index (the checkpoint's
 * anti-passback direction, household exits) survives snapshot reloads in either direction, and
 * a journal replay after a restart gives every id an index again with the same meaning.
 * Indices are not persisted and differ between processes; only ids are ever journaled.
 */
export class DenseIds {
  private readonly indices = new Map<string, number>();
  private readonly ids: string[] = [];

  /** How many ids have an index: every index is below this. */
  get size(): number {
    return this.indices.size;
  }

  /** The id's index, giving it the next free one if it has none yet. */
  indexOf(id: string): number {
    let index = this.indices.get(id);
    if (index === undefined) {
      index = this.indices.size;
      this.indices.set(id, index);
      this.ids.push(id);
    }
    return index;
  }

  /** The id an index was given to. */
  idAt(index: number): string | undefined {
    return this.ids[index];
  }

  /** The id's index, or undefined when it never had one; never gives out an index. */
  find(id: string): number | undefined {
    return this.indices.get(id);
  }
}

/**
 * The process's one numbering of subjects (persons and vehicles: the namespace of
 * `Subject.id`) and one of households. The registry snapshot links each credential to these
 * indices and the checkpoint's state is kept by them, so both must use these instances.
 */
export const SUBJECT_IDS = new DenseIds();
export const HOUSEHOLD_IDS = new DenseIds();
