// Reading a GraphQL connection longer than one page in as few requests as possible.
//
// GitHub serves at most 100 items of a connection per page, and each next page needs the cursor of the
// previous one, so a pull request with 1,000 files takes ten queries one after the other when read
// front to back. Read from both ends at once (`first/after` from the front, `last/before` from the
// back), and with every long connection's pages in the same query, it takes five: each query brings
// up to 200 items of each connection, and a PR's commits, reviews and files advance together.
//
// Completeness never rests on `totalCount` (it only sizes the requests): a connection is complete when
// the front has no next page, when the back has no previous page, or when the two reads overlap on an
// item (the last page from the front asks one item more than should remain so that they do). Items are
// recognised by a key unique within the connection (a commit's oid, a file's path, a review's url).
// Pure: the queries are made by the caller.

/** GitHub's largest page. */
export const PAGE_SIZE = 100;

/** The next page to read from one end of a connection. */
export interface PageRequest {
  direction: "forward" | "backward";
  /** How many items to ask for (1–100). */
  count: number;
  /** `after` (forward) or `before` (backward); null for the first page from the back. */
  cursor: string | null;
}

/** A page from the front: `first/after` with `pageInfo { hasNextPage endCursor }`. */
export interface ForwardPage<T> {
  nodes: Array<T | null>;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/** A page from the back: `last/before` with `pageInfo { hasPreviousPage startCursor }`. */
export interface BackwardPage<T> {
  nodes: Array<T | null>;
  pageInfo: { hasPreviousPage: boolean; startCursor?: string | null };
}

/** Where the reading of one connection stands. */
export interface ConnectionRead<T> {
  /** Items from the front, in order (null where GitHub returned a null node). */
  front: Array<T | null>;
  frontCursor: string | null;
  frontEnded: boolean;
  /** Items from the back, in order. */
  back: Array<T | null>;
  backCursor: string | null;
  backStarted: boolean;
  backEnded: boolean;
  /** What GitHub said the connection holds, when it said so: only used to size requests. */
  totalCount: number | null;
  /** The whole connection, in order, once complete. */
  items: T[] | null;
  /** Follow-up rounds used so far (a guard against a connection that never converges). */
  rounds: number;
}

/** Nothing on GitHub has more pages than this; beyond it the read is refused rather than looping. */
const MAX_ROUNDS = 250;

const present = <T>(items: Array<T | null>): T[] => items.filter((item): item is T => item !== null);

/** The state after a connection's first page (read with the main query, `first: 100`). */
export function startRead<T>(first: ForwardPage<T>, totalCount: number | null | undefined): ConnectionRead<T> {
  const read: ConnectionRead<T> = {
    front: [...first.nodes],
    frontCursor: first.pageInfo.endCursor ?? null,
    frontEnded: !first.pageInfo.hasNextPage,
    back: [],
    backCursor: null,
    backStarted: false,
    backEnded: false,
    totalCount: totalCount ?? null,
    items: null,
    rounds: 0,
  };
  return settle(read, () => undefined);
}

/**
 * The requests of the next round for a connection that is not complete: one from the front and, while
 * more than a page remains between the two ends, one from the back.
 */
export function nextRequests<T>(read: ConnectionRead<T>): PageRequest[] {
  if (read.items) return [];
  if (read.rounds >= MAX_ROUNDS) throw new Error(`a connection did not end after ${MAX_ROUNDS} pages`);
  if (!read.frontCursor) throw new Error("GitHub announced a next page without a cursor");
  const unknown = read.totalCount === null;
  const remaining = unknown ? Number.POSITIVE_INFINITY : Math.max(0, read.totalCount! - read.front.length - read.back.length);
  // The two ends must overlap by an item to prove that nothing lies between them, so what is still to
  // read is what remains plus one; a round reads up to a page from each end. A connection whose rest
  // fits in one page from the front (and whose back has not been started) needs no back at all: the
  // front simply ends. When nothing should remain and yet the ends have not met (the count was off, or
  // the back begins with a null node), the front reads whole pages until it meets the back or ends.
  const frontCount = read.backStarted && remaining > 0 ? Math.min(PAGE_SIZE, remaining + 1) : PAGE_SIZE;
  const requests: PageRequest[] = [{ direction: "forward", count: frontCount, cursor: read.frontCursor }];
  const backCount = read.backStarted || remaining > PAGE_SIZE ? Math.min(PAGE_SIZE, remaining + 1 - frontCount) : 0;
  if (backCount > 0 && !read.backEnded && (!read.backStarted || read.backCursor !== null)) {
    requests.push({ direction: "backward", count: backCount, cursor: read.backStarted ? read.backCursor : null });
  }
  return requests;
}

/** Adds a round's pages (the front's, and the back's when one was asked for) to the read. */
export function addRound<T>(read: ConnectionRead<T>, key: (item: T) => string, front: ForwardPage<T>, back: BackwardPage<T> | null): ConnectionRead<T> {
  const next: ConnectionRead<T> = {
    ...read,
    front: [...read.front, ...front.nodes],
    frontCursor: front.pageInfo.endCursor ?? null,
    frontEnded: !front.pageInfo.hasNextPage,
    rounds: read.rounds + 1,
  };
  if (back) {
    next.back = [...back.nodes, ...read.back];
    next.backCursor = back.pageInfo.startCursor ?? null;
    next.backStarted = true;
    next.backEnded = !back.pageInfo.hasPreviousPage;
  }
  return settle(next, key);
}

/** Marks the read complete (with its items) when the two ends have met or one of them has run out. */
function settle<T>(read: ConnectionRead<T>, key: (item: T) => string | undefined): ConnectionRead<T> {
  if (read.frontEnded) return { ...read, items: present(read.front) };
  if (read.backStarted && read.backEnded) return { ...read, items: present(read.back) };
  const first = read.backStarted ? read.back[0] : undefined;
  // A null node has no key; the front then reads on until it ends, which is slower but still exact.
  if (first !== undefined && first !== null) {
    const firstKey = key(first as T);
    // Search from the end of the front, where the overlap is.
    for (let index = read.front.length - 1; firstKey !== undefined && index >= 0; index -= 1) {
      const item = read.front[index];
      if (item !== null && item !== undefined && key(item as T) === firstKey) return { ...read, items: present([...read.front.slice(0, index), ...read.back]) };
    }
  }
  return read;
}
