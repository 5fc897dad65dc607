// Helpers for the department tree (parent_id links).

/** Departments in tree order: [{ dept, depth }], children sorted by name. */
export function flattenTree(depts) {
  const byParent = new Map();
  const ids = new Set(depts.map((d) => d.id));
  for (const d of depts) {
    // an unknown parent is treated as a root so nothing disappears
    const key = d.parent_id != null && ids.has(d.parent_id) ? d.parent_id : null;
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(d);
  }
  for (const list of byParent.values()) list.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  const out = [];
  const seen = new Set();
  const walk = (parent, depth) => {
    for (const d of byParent.get(parent) || []) {
      if (seen.has(d.id)) continue; // guard against cycles
      seen.add(d.id);
      out.push({ dept: d, depth });
      walk(d.id, depth + 1);
    }
  };
  walk(null, 0);
  for (const d of depts) if (!seen.has(d.id)) out.push({ dept: d, depth: 0 });
  return out;
}

/** Label for a <select> option, indented by depth. */
export function optionLabel({ dept, depth }) {
  return `${depth ? `${'\u3000'.repeat(depth - 1)}└ ` : ''}${dept.name}`;
}

/** Ids of `id` and all its descendants (a department cannot move under these). */
export function descendants(depts, id) {
  const out = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const d of depts) {
      if (d.parent_id != null && out.has(d.parent_id) && !out.has(d.id)) {
        out.add(d.id);
        grew = true;
      }
    }
  }
  return out;
}

/** "Parent / Child" path of a department, for display. */
export function deptPath(depts, id) {
  const parts = [];
  const seen = new Set();
  let cur = depts.find((d) => d.id === id);
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    parts.unshift(cur.name);
    cur = cur.parent_id != null ? depts.find((d) => d.id === cur.parent_id) : null;
  }
  return parts.join(' / ');
}
