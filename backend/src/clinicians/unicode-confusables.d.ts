/** The package ships its declarations under a name TypeScript does not look for (index.ts.d). */
declare module 'unicode-confusables' {
  export interface ConfusablePoint {
    point: string;
    similarTo?: string;
  }
  export function isConfusing(input: string): boolean;
  export function confusables(input: string): ConfusablePoint[];
  /** Each character replaced by its prototype in Unicode's confusables.txt (UTS #39), zero-width characters dropped. */
  export function rectifyConfusion(input: string): string;
}
