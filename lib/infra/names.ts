/** Construct and metric names from our kebab-case or camelCase keys: `execution-events` -> `ExecutionEvents`. */
export function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
