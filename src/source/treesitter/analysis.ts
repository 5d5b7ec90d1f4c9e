/**
 * One file as the tree-sitter scanner sees it: the matches of every ast-grep rule (filtered by the imports the
 * rule asks for), the execution context, and the name resolution the analyses share — which values an
 * expression can reach through local variables, struct fields, `self.x`/`this.x` members and same-file
 * functions, and which statements configure the same object (`session.mount(...)`, `t.MaxIdleConnsPerHost = n`,
 * `req.Close = true`).
 */
import type { SgNode } from '@ast-grep/napi';
import type { LoadedRule, RuleRole } from './rules-loader.js';
import type { TsLanguage } from './languages.js';
import type { FileContext } from './context.js';
import { resolveMember } from './destination.js';
import { contains, kindEntries, type KindEntry, nodeKey, nodesOfKinds, walkKinds, type LangSyntax } from './syntax.js';

/** One match of one rule: the node the rule matched, with its metavariables. */
export interface Match {
  rule: LoadedRule;
  node: SgNode;
  /** Prefix of the rule's metavariables in `node` when it was matched as part of a combined rule (`combined.ts`). */
  prefix?: string;
}

/** A metavariable of a match by the name the rule gives it (`$URL` → `capture(m, 'URL')`). */
export function capture(m: Match, name: string): SgNode | undefined {
  return m.node.getMatch(m.prefix ? `${m.prefix}${name}` : name) ?? undefined;
}

/**
 * Modules a file imports: Go import paths (`net/http`, `github.com/avast/retry-go/v4`), Python module names
 * (`requests`, `requests.adapters`, `urllib.request`), Java imported names (`org.springframework.retry.annotation.Retryable`,
 * `io.github.resilience4j.retry.*`).
 */
export function fileImports(root: SgNode, lang: TsLanguage, syntax: LangSyntax): string[] {
  const out: string[] = [];
  for (const n of nodesOfKinds(root, syntax.kinds.imports)) {
    const k = n.kind() as string;
    if (lang === 'go') {
      const p = n.field('path');
      if (p) out.push(p.text().slice(1, -1));
    } else if (k === 'import_statement') {
      for (const c of n.children()) {
        if (c.kind() === 'dotted_name') out.push(c.text());
        else if (c.kind() === 'aliased_import') out.push(c.field('name')?.text() ?? c.children()[0]!.text());
      }
    } else if (k === 'import_from_statement') {
      const m = n.field('module_name');
      if (m) out.push(m.text());
    } else {
      out.push(n.text().replace(/^import\s+(static\s+)?/, '').replace(/;\s*$/, '').trim());
    }
  }
  return out;
}

/** Whether `rule` applies to a file with these imports (`metadata.imports` lists module prefixes). */
export function importsAllow(rule: LoadedRule, imports: readonly string[]): boolean {
  const wanted = rule.metadata['imports'];
  if (!Array.isArray(wanted) || wanted.length === 0) return true;
  return (wanted as string[]).some((w) => imports.some((i) => i === w || i.startsWith(`${w}.`) || i.startsWith(`${w}/`) || i.startsWith(w)));
}

/** Short display of a construct or call for messages: `requests.Session()`, `http.Transport{…}`, `HttpClient.newBuilder()…build()`. */
export function display(n: SgNode): string {
  const text = n.text().replace(/\s+/g, ' ').trim();
  const amp = text.startsWith('&') ? '&' : '';
  const body = amp ? text.slice(1) : text;
  if (body.length <= 40 && !text.includes('\n')) return text;
  const open = body.search(/[({]/);
  if (open < 0) return `${text.slice(0, 40)}…`;
  const head = body.slice(0, open);
  const bracket = body[open] === '(' ? '(…)' : '{…}';
  const last = /\.(\w+)\(\s*\)\s*$/.exec(body);
  if (last && body.indexOf('.', open) >= 0 && last.index > open) return `${amp}${head}${bracket}….${last[1]}()`;
  return `${amp}${head}${bracket}`;
}

const MAX_REACH = 64;
/** Node kinds `isNameLike` can accept, per language. */
const NAME_LIKE_KINDS: Readonly<Record<TsLanguage, readonly string[]>> = {
  go: ['identifier', 'selector_expression'],
  python: ['identifier', 'attribute'],
  java: ['identifier', 'field_access'],
};
const MAX_DEPTH = 3;

/** Per-file state shared by the analyses. */
export class FileAnalysis {
  private readonly reachCache = new Map<string, SgNode[]>();
  /** The `reachKinds` nodes of each subtree `reach` walked, by node key: values and functions are reached from many names. */
  private readonly reachEntries = new Map<string, KindEntry[]>();
  private mutationSites?: { site: SgNode; subject: SgNode }[];
  private linkKeys?: { site: SgNode; keys: string[] }[];
  private readonly roleIndex = new Map<string, Match[]>();
  private fieldIndex?: Map<string, SgNode[]>;
  /** Kinds `reach` acts on: functions and closures (not entered), name-like nodes, calls. */
  private readonly reachKinds: readonly string[];
  private readonly functionKinds: ReadonlySet<string>;
  private readonly callKinds: ReadonlySet<string>;

  constructor(
    readonly file: string,
    readonly lang: TsLanguage,
    readonly syntax: LangSyntax,
    readonly root: SgNode,
    readonly matches: readonly Match[],
    readonly ctx: FileContext,
  ) {
    this.functionKinds = new Set(syntax.kinds.functions);
    this.callKinds = new Set(syntax.kinds.calls);
    this.reachKinds = [...new Set([...syntax.kinds.functions, ...NAME_LIKE_KINDS[lang], ...syntax.kinds.calls])];
    for (const m of matches) {
      const list = this.roleIndex.get(m.rule.metadata.role) ?? [];
      list.push(m);
      this.roleIndex.set(m.rule.metadata.role, list);
    }
  }

  /** Matches of one role, optionally of one meshlint rule id. */
  byRole(role: RuleRole, meshlint?: string): Match[] {
    const all = this.roleIndex.get(role) ?? [];
    return meshlint ? all.filter((m) => m.rule.metadata.meshlint === meshlint) : all;
  }

  /** A metavariable of a match (`$URL` → `mv(m, 'URL')`). */
  mv(m: Match, name: string): SgNode | undefined {
    return capture(m, name);
  }

  /** The innermost named function or closure around `n` (undefined at file level). */
  enclosingCode(n: SgNode): SgNode | undefined {
    for (const p of n.ancestors()) if (this.functionKinds.has(p.kind() as string) && (this.syntax.isFunction(p) || this.syntax.isClosure(p))) return p;
    return undefined;
  }

  /** Resolves one name-like node (identifier, `self.x`, `this.x`, `recv.field`) to the values assigned to it. */
  private valuesOf(n: SgNode): SgNode[] {
    const syn = this.syntax;
    const k = n.kind() as string;
    if (k === 'identifier') {
      const b = syn.resolve(n.text(), n);
      if (b?.kind === 'value') return [b.value];
      if (!b && this.lang === 'java') {
        const m = resolveMember(n, syn);
        return m ? [m.value] : [];
      }
      return [];
    }
    if (this.lang === 'python' && k === 'attribute' && n.field('object')?.text() === 'self') {
      const m = resolveMember(n, syn);
      return m ? [m.value] : [];
    }
    if (this.lang === 'java' && k === 'field_access' && n.field('object')?.kind() === 'this') {
      const m = resolveMember(n, syn);
      return m ? [m.value] : [];
    }
    if (this.lang === 'go' && k === 'selector_expression') {
      const operand = n.field('operand');
      const field = n.field('field')?.text();
      if (!operand || operand.kind() !== 'identifier' || !field) return [];
      // A package-qualified name (http.DefaultClient) does not resolve; a receiver or variable does.
      const fn = this.enclosingCode(n);
      const isReceiver = fn ? syn.receiverName(fn) === operand.text() : false;
      if (!isReceiver && !syn.resolve(operand.text(), n)) return [];
      return this.goFieldValues(field);
    }
    return [];
  }

  /** Values given to a struct field anywhere in the file: `T{field: v}` and `x.field = v` (indexed once per file). */
  private goFieldValues(field: string): SgNode[] {
    if (!this.fieldIndex) {
      const idx = new Map<string, SgNode[]>();
      const add = (name: string, v: SgNode): void => {
        const list = idx.get(name);
        if (list) list.push(v);
        else idx.set(name, [v]);
      };
      for (const d of nodesOfKinds(this.root, ['keyed_element', 'assignment_statement'])) {
        if (d.kind() === 'keyed_element') {
          const named = d.children().filter((c) => c.isNamed());
          const key = named[0];
          const value = named[1];
          if (key && value) add(key.text(), value.kind() === 'literal_element' ? (value.children().find((c) => c.isNamed()) ?? value) : value);
        } else {
          const left = d.field('left')?.children().filter((c) => c.isNamed()) ?? [];
          const right = d.field('right')?.children().filter((c) => c.isNamed()) ?? [];
          left.forEach((l, i) => {
            const name = l.kind() === 'selector_expression' ? l.field('field')?.text() : undefined;
            if (name && right[i]) add(name, right[i]!);
          });
        }
      }
      this.fieldIndex = idx;
    }
    return this.fieldIndex.get(field) ?? [];
  }

  private isNameLike(n: SgNode, kind?: string): boolean {
    const k = kind ?? (n.kind() as string);
    if (k === 'identifier') return true;
    if (this.lang === 'python') return k === 'attribute' && n.field('object')?.text() === 'self';
    if (this.lang === 'java') return k === 'field_access' && n.field('object')?.kind() === 'this';
    return k === 'selector_expression';
  }

  /**
   * Everything `n` can stand for: `n` itself, then the values of the names in it (locals, fields, members),
   * transitively up to three hops, and the bodies of same-file functions it calls (`newClient()`).
   * Closures are not entered. At most 64 nodes.
   */
  reach(n: SgNode): SgNode[] {
    const key = nodeKey(n);
    const hit = this.reachCache.get(key);
    if (hit) return hit;
    const out: SgNode[] = [];
    const seen = new Set<string>();
    const visit = (node: SgNode, depth: number): void => {
      const k = nodeKey(node);
      if (seen.has(k) || out.length >= MAX_REACH) return;
      seen.add(k);
      out.push(node);
      if (depth >= MAX_DEPTH) return;
      // Only the kinds the visitor acts on are fetched (syntax.ts `walkKinds`): a function body reached through
      // a call is otherwise walked node by node.
      let entries = this.reachEntries.get(k);
      if (!entries) {
        entries = kindEntries(node, this.reachKinds);
        this.reachEntries.set(k, entries);
      }
      walkKinds(node, this.reachKinds, (d, kind, isTop) => {
        if (out.length >= MAX_REACH) return 'stop';
        if (!isTop && this.functionKinds.has(kind) && (this.syntax.isClosure(d) || this.syntax.isFunction(d))) return false;
        if (this.isNameLike(d, kind)) {
          const values = this.valuesOf(d);
          for (const v of values) visit(v, depth + 1);
          // `self.session` / `s.client` resolved as a member: do not descend; `rc.StandardClient` did not: the
          // object `rc` still has to be resolved.
          if (kind !== 'identifier' && values.length > 0) return false;
        }
        if (this.callKinds.has(kind) && this.syntax.callee(d)) {
          const enclosing = this.ctx.enclosingFunction(d);
          const name = this.syntax.localCallName(d, enclosing ? this.syntax.receiverName(enclosing) : undefined);
          for (const fn of (name && this.ctx.functionsByName.get(name)) || []) if (!contains(fn, d)) visit(fn, depth + 1);
        }
        return true;
      }, entries);
    };
    visit(n, 0);
    this.reachCache.set(key, out);
    return out;
  }

  /** Statements that configure an object: method calls on it and assignments to its fields (with the object expression). */
  private sites(): { site: SgNode; subject: SgNode }[] {
    if (this.mutationSites) return this.mutationSites;
    const out: { site: SgNode; subject: SgNode }[] = [];
    const kinds = [...this.syntax.kinds.calls, this.lang === 'go' ? 'assignment_statement' : this.lang === 'python' ? 'assignment' : 'assignment_expression'];
    for (const d of nodesOfKinds(this.root, kinds)) {
      const k = d.kind() as string;
      let subject: SgNode | null | undefined;
      if (this.lang === 'go') {
        if (k === 'call_expression') subject = d.field('function')?.kind() === 'selector_expression' ? d.field('function')?.field('operand') : undefined;
        else if (k === 'assignment_statement') {
          const l = d.field('left')?.children().find((c) => c.isNamed());
          subject = l?.kind() === 'selector_expression' ? l.field('operand') : l?.kind() === 'index_expression' ? l.field('operand')?.field('operand') : undefined;
        }
        // `req.Header.Set(...)`, `t.TLSClientConfig.X = …`: the object is the base variable.
        while (subject && (subject.kind() === 'selector_expression' || subject.kind() === 'index_expression')) subject = subject.field('operand');
      } else if (this.lang === 'python') {
        if (k === 'call') subject = d.field('function')?.kind() === 'attribute' ? d.field('function')?.field('object') : undefined;
        else if (k === 'assignment') {
          const l = d.field('left');
          subject = l?.kind() === 'attribute' ? l.field('object') : l?.kind() === 'subscript' ? l.field('value') : undefined;
          if (subject?.kind() === 'attribute' && l?.kind() === 'subscript') subject = subject.field('object');
        }
      } else if (k === 'method_invocation') subject = d.field('object');
      else if (k === 'assignment_expression') {
        const l = d.field('left');
        subject = l?.kind() === 'field_access' ? l.field('object') : undefined;
      }
      if (subject && subject.kind() !== 'this') out.push({ site: d, subject });
    }
    this.mutationSites = out;
    return out;
  }

  /**
   * The nodes linked to the object(s) `exprs` evaluate to: their reach, plus every statement that configures
   * the same object (a method call on it or an assignment to one of its fields). A match whose node lies
   * inside one of them is "about" that object.
   */
  linkedNodes(exprs: readonly SgNode[]): SgNode[] {
    const reached: SgNode[] = [];
    const valueKeys = new Set<string>();
    for (const e of exprs) {
      const r = this.reach(e);
      for (const n of r) reached.push(n);
      for (const v of r.slice(1)) valueKeys.add(nodeKey(v));
      if (this.isNameLike(e)) valueKeys.add(`name:${this.bindingKey(e)}`);
    }
    if (valueKeys.size === 0) return reached;
    for (const { site, keys } of this.siteKeys()) if (keys.some((k) => valueKeys.has(k))) reached.push(site);
    return reached;
  }

  /**
   * Each configuring site with the keys `linkedNodes` compares: the binding of its subject (when name-like), then
   * the node keys of the values the subject reaches. Computed once per file: every call's `linkedNodes` checks
   * every site.
   */
  private siteKeys(): { site: SgNode; keys: string[] }[] {
    if (this.linkKeys) return this.linkKeys;
    this.linkKeys = this.sites().map(({ site, subject }) => {
      const keys = this.isNameLike(subject) ? [`name:${this.bindingKey(subject)}`] : [];
      for (const v of this.reach(subject).slice(1)) keys.push(nodeKey(v));
      return { site, keys };
    });
    return this.linkKeys;
  }

  /** Identity of the variable a name refers to (its declaration, or the name in its function) for linking. */
  private bindingKey(n: SgNode): string {
    const b = this.syntax.resolve(n.text(), n);
    if (b?.kind === 'value') return nodeKey(b.declaration);
    if (b?.kind === 'parameter') return `${nodeKey(b.fn)}:${n.text()}`;
    const fn = this.enclosingCode(n);
    return `${fn ? nodeKey(fn) : 'file'}:${n.text()}`;
  }

  /** Statements that configure the object built at `target` (method calls on it, assignments to its fields). */
  configuringSites(target: SgNode): SgNode[] {
    return this.sites()
      .filter(({ subject }) => this.reach(subject).slice(1).some((v) => contains(v, target)))
      .map(({ site }) => site);
  }

  /**
   * Integer value of an expression: a literal, a constant or variable bound to one (three hops), or `+ - *` of
   * those (`maxRetries + 1`). Undefined when not static.
   */
  intValue(n: SgNode, depth = 0): number | undefined {
    if (depth > 3) return undefined;
    const lit = this.syntax.intValue(n);
    if (lit !== undefined) return lit;
    const k = n.kind() as string;
    if (k === 'parenthesized_expression' || k === 'expression_list' || k === 'literal_element') {
      const named = n.children().filter((c) => c.isNamed());
      return named.length === 1 ? this.intValue(named[0]!, depth) : undefined;
    }
    if (k === 'binary_expression' || k === 'binary_operator') {
      const l = n.field('left');
      const r = n.field('right');
      const op = n.field('operator')?.text() ?? n.children().find((c) => !c.isNamed())?.text();
      const a = l ? this.intValue(l, depth + 1) : undefined;
      const b = r ? this.intValue(r, depth + 1) : undefined;
      if (a === undefined || b === undefined) return undefined;
      if (op === '+') return a + b;
      if (op === '-') return a - b;
      if (op === '*') return a * b;
      return undefined;
    }
    if (this.isNameLike(n)) {
      const v = this.valuesOf(n);
      return v.length === 1 ? this.intValue(v[0]!, depth + 1) : undefined;
    }
    return undefined;
  }

  /** Is `target` inside one of `nodes`? */
  static within(nodes: readonly SgNode[], target: SgNode): boolean {
    return nodes.some((n) => contains(n, target));
  }
}
