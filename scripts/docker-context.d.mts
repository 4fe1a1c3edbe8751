/** Whether `file` (a path relative to the build context) is left out by .dockerignore's `text`. */
export function dockerignore(text: string): (file: string) => boolean;
