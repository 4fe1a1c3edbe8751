/**
 * Runs tasks that share a key one after another, in the order they were submitted, while tasks with
 * different keys run concurrently. Two deliveries for the same pull request (an approval and a push
 * arriving together) must not interleave, or an older evaluation could overwrite a newer check run.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every earlier task with the same key has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
