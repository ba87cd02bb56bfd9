/** ROUTE_PATTERNS for the generator's `:slug` (`summer-sale-123`) and `:date` (`2025-03-12`) path segments. */
export const GENERATOR_ROUTE_PATTERNS = JSON.stringify([
  { pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: ':date' },
  { pattern: '[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\\d{1,3}', placeholder: ':slug' },
]);
