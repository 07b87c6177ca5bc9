/** `de-de`, `de_DE` → `de_DE`: one spelling for template languages and contact locales. */
export function normalizeLanguage(value: string): string {
  const [language, region] = value.trim().split(/[-_]/, 2);
  if (!region) return language.toLowerCase();
  return `${language.toLowerCase()}_${region.length === 2 ? region.toUpperCase() : region[0].toUpperCase() + region.slice(1).toLowerCase()}`;
}
