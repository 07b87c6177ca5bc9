/**
 * TypeORM's postgres driver answers `UPDATE … RETURNING` and `DELETE … RETURNING` with `[rows, affectedCount]`
 * and everything else with `rows`; this gives the rows either way.
 */
export function returned<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

/**
 * A workspace-scoped WHERE clause built from optional filters: `add('status = ?', value)` appends a numbered
 * parameter. Starts with the workspace, so a list query cannot forget it.
 */
export function scopedWhere(workspaceId: string): {
  add(sql: string, value: unknown): void;
  /** Appends a last parameter (e.g. the LIMIT) and returns its placeholder. */
  param(value: unknown): string;
  readonly sql: string;
  readonly params: unknown[];
} {
  const where = ['workspace_id = $1'];
  const params: unknown[] = [workspaceId];
  return {
    add(sql, value) {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    },
    param(value) {
      params.push(value);
      return `$${params.length}`;
    },
    get sql() {
      return where.join(' AND ');
    },
    params,
  };
}
