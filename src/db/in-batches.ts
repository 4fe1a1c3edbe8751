// A statement may name only so many parameters (SQLite's and Prisma's limits, and SQLite's limit on an
// expression's depth for long `OR`s): a read keyed by a list that can be long (every pull request of
// a range, every delegation they relied on) goes a batch at a time, and its rows are put together.

/** `read` over `items`, `size` at a time, its rows in the order read. */
export async function inBatches<T, R>(items: readonly T[], size: number, read: (batch: T[]) => Promise<readonly R[]>): Promise<R[]> {
  const rows: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    for (const row of await read(items.slice(start, start + size))) rows.push(row);
  }
  return rows;
}
