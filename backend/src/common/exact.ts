/**
 * `true` only when A and B have exactly the same keys and compatible types.
 * A backend DTO class `implements` its shared type, and a line
 * `true satisfies Exact<Dto, SharedType>` also catches a renamed optional
 * field, which `implements` alone lets through (HOUSE.md).
 */
export type Exact<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [Exclude<keyof A, keyof B>] extends [never]
      ? [Exclude<keyof B, keyof A>] extends [never]
        ? true
        : false
      : false
    : false
  : false;
