/** What main.ts drives: a view's element, its title, and how it refreshes (polled) and ticks (ages). */
export interface View {
  root: HTMLElement;
  title: string;
  refresh(): Promise<void>;
  tick?(): void;
}
