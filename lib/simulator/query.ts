/**
 * The subset of Datadog's event-search syntax the simulator understands, parsed into an AST. Anything outside
 * the subset is a `QuerySyntaxError` (the server answers 400) rather than a silent wrong match, so a client
 * that builds an unsupported query finds out in tests.
 *
 * Grammar (NOT binds tighter than AND, AND tighter than OR; juxtaposition is AND):
 *   query   := '*' | '' | or
 *   or      := and ('OR' and)*
 *   and     := unary (('AND')? unary)*
 *   unary   := ('NOT' | '-') unary | '(' or ')' | term
 *   term    := field ':' (value | '(' value ('OR' value)* ')')
 *   value   := bare | '"' quoted '"'     bare may end in '*' (prefix wildcard); '*' alone = attribute present
 */

export type QueryField = 'service' | 'platform' | 'language' | 'error.type' | 'issue.id';

export interface ValueMatcher {
  /** The unescaped value, without the trailing wildcard. */
  value: string;
  /** `orders-*`: prefix match. A lone `*` is a prefix match on `''`: any present value. */
  prefix: boolean;
}

export type QueryNode =
  | { kind: 'all' }
  | { kind: 'and'; children: QueryNode[] }
  | { kind: 'or'; children: QueryNode[] }
  | { kind: 'not'; child: QueryNode }
  | { kind: 'term'; field: QueryField; values: ValueMatcher[] };

export class QuerySyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`invalid query at character ${position + 1}: ${message}`);
    this.name = 'QuerySyntaxError';
    this.position = position;
  }
}

const FIELD_ALIASES: Record<string, QueryField> = {
  service: 'service',
  '@service': 'service',
  platform: 'platform',
  '@platform': 'platform',
  language: 'language',
  '@language': 'language',
  'error.type': 'error.type',
  '@error.type': 'error.type',
  // Error events carry the id of the issue they belong to.
  'issue.id': 'issue.id',
  '@issue.id': 'issue.id',
};

/** Fields whose values are enums; they compare case-insensitively (`@language:go` finds GO). */
const CASE_INSENSITIVE_FIELDS = new Set<QueryField>(['platform', 'language']);

type Token =
  | { type: 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'minus' | 'star'; position: number }
  | { type: 'field'; name: string; position: number }
  | { type: 'value'; matcher: ValueMatcher; position: number };

const STOP_CHARACTERS = new Set(['(', ')', '"', ' ', '\t', '\n', '\r']);

function isSpace(character: string | undefined): boolean {
  return character === ' ' || character === '\t' || character === '\n' || character === '\r';
}

class Lexer {
  private position = 0;
  readonly tokens: Token[] = [];

  constructor(private readonly text: string) {
    this.run();
  }

  private run(): void {
    const { text } = this;
    while (this.position < text.length) {
      const character = text[this.position] as string;
      const start = this.position;
      if (isSpace(character)) {
        this.position++;
      } else if (character === '(') {
        this.tokens.push({ type: 'lparen', position: start });
        this.position++;
      } else if (character === ')') {
        this.tokens.push({ type: 'rparen', position: start });
        this.position++;
      } else if (character === '-' && this.startsWord(start + 1)) {
        this.tokens.push({ type: 'minus', position: start });
        this.position++;
      } else if (character === '"') {
        throw new QuerySyntaxError('a quoted value needs a field, as in service:"name"', start);
      } else {
        this.readWord();
      }
    }
  }

  private startsWord(position: number): boolean {
    const next = this.text[position];
    return next !== undefined && !isSpace(next) && next !== ')';
  }

  /** A keyword, `*`, or `field:` followed by its value(s). */
  private readWord(): void {
    const { text } = this;
    const start = this.position;
    let end = start;
    while (end < text.length && !STOP_CHARACTERS.has(text[end] as string) && text[end] !== ':') end++;
    const word = text.slice(start, end);
    if (text[end] === ':') {
      const field = FIELD_ALIASES[word.toLowerCase()];
      if (!field) {
        throw new QuerySyntaxError(
          `unsupported field "${word}"; use service, platform, @language or @error.type`,
          start,
        );
      }
      this.tokens.push({ type: 'field', name: field, position: start });
      this.position = end + 1;
      this.readFieldValue();
      return;
    }
    this.position = end;
    if (word === 'AND') this.tokens.push({ type: 'and', position: start });
    else if (word === 'OR') this.tokens.push({ type: 'or', position: start });
    else if (word === 'NOT') this.tokens.push({ type: 'not', position: start });
    else if (word === '*') this.tokens.push({ type: 'star', position: start });
    else if (word.length === 0) throw new QuerySyntaxError(`unexpected "${text[start]}"`, start);
    else {
      throw new QuerySyntaxError(
        `free-text search ("${word}") is not supported; use field:value such as service:${word}`,
        start,
      );
    }
  }

  private readFieldValue(): void {
    const { text } = this;
    const character = text[this.position];
    if (character === undefined || isSpace(character) || character === ')') {
      throw new QuerySyntaxError('missing value after ":"', this.position);
    }
    if (character !== '(') {
      this.tokens.push(this.readValue());
      return;
    }
    // A value list: (v1 OR v2 ...). Kept inside the lexer because values may contain keywords like AND.
    this.tokens.push({ type: 'lparen', position: this.position });
    this.position++;
    let expectValue = true;
    for (;;) {
      while (isSpace(text[this.position])) this.position++;
      const next = text[this.position];
      if (next === undefined)
        throw new QuerySyntaxError('missing ")" to close the value list', this.position);
      if (next === ')') {
        if (expectValue)
          throw new QuerySyntaxError('empty value or trailing OR in value list', this.position);
        this.tokens.push({ type: 'rparen', position: this.position });
        this.position++;
        return;
      }
      if (!expectValue) {
        const afterKeyword = text[this.position + 2];
        if (text.startsWith('OR', this.position) && (isSpace(afterKeyword) || afterKeyword === '"')) {
          this.tokens.push({ type: 'or', position: this.position });
          this.position += 2;
          expectValue = true;
          continue;
        }
        throw new QuerySyntaxError('values in field:(...) must be separated by OR', this.position);
      }
      if (next === '(') throw new QuerySyntaxError('nested parentheses inside a value list', this.position);
      this.tokens.push(this.readValue());
      expectValue = false;
    }
  }

  private readValue(): Token {
    const { text } = this;
    const start = this.position;
    if (text[start] === '"') {
      let value = '';
      let index = start + 1;
      for (;;) {
        const character = text[index];
        if (character === undefined) throw new QuerySyntaxError('unterminated quoted value', start);
        if (character === '"') break;
        if (character === '\\') {
          const escaped = text[index + 1];
          if (escaped === undefined) throw new QuerySyntaxError('unterminated quoted value', start);
          value += escaped;
          index += 2;
          continue;
        }
        value += character;
        index++;
      }
      this.position = index + 1;
      return { type: 'value', matcher: { value, prefix: false }, position: start };
    }
    let value = '';
    let index = start;
    let prefix = false;
    while (index < text.length && !STOP_CHARACTERS.has(text[index] as string)) {
      const character = text[index] as string;
      if (character === '\\' && index + 1 < text.length) {
        value += text[index + 1];
        index += 2;
        continue;
      }
      if (character === '*') {
        const following = text[index + 1];
        if (following !== undefined && !STOP_CHARACTERS.has(following)) {
          throw new QuerySyntaxError('only a trailing "*" wildcard is supported', index);
        }
        prefix = true;
        index++;
        break;
      }
      if (
        character === '[' ||
        character === '{' ||
        character === '>' ||
        character === '<' ||
        character === '~'
      ) {
        throw new QuerySyntaxError(`ranges and comparisons ("${character}") are not supported`, index);
      }
      value += character;
      index++;
    }
    if (value === '' && !prefix) throw new QuerySyntaxError('missing value', start);
    this.position = index;
    return { type: 'value', matcher: { value, prefix }, position: start };
  }
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  parse(): QueryNode {
    const node = this.parseOr();
    const leftover = this.tokens[this.index];
    if (leftover) throw new QuerySyntaxError(`unexpected ${describe(leftover)}`, leftover.position);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private parseOr(): QueryNode {
    const children = [this.parseAnd()];
    while (this.peek()?.type === 'or') {
      this.index++;
      children.push(this.parseAnd());
    }
    return children.length === 1 ? (children[0] as QueryNode) : { kind: 'or', children };
  }

  private parseAnd(): QueryNode {
    const children = [this.parseUnary()];
    for (;;) {
      const next = this.peek();
      if (!next || next.type === 'or' || next.type === 'rparen') break;
      if (next.type === 'and') this.index++;
      children.push(this.parseUnary());
    }
    return children.length === 1 ? (children[0] as QueryNode) : { kind: 'and', children };
  }

  private parseUnary(): QueryNode {
    const token = this.peek();
    if (!token) throw new QuerySyntaxError('the query ends where a term was expected', this.length);
    this.index++;
    switch (token.type) {
      case 'not':
      case 'minus':
        return { kind: 'not', child: this.parseUnary() };
      case 'lparen': {
        const inner = this.parseOr();
        const closing = this.peek();
        if (closing?.type !== 'rparen') {
          throw new QuerySyntaxError('missing ")"', closing ? closing.position : this.length);
        }
        this.index++;
        return inner;
      }
      case 'star':
        return { kind: 'all' };
      case 'field':
        return this.parseTermValues(token.name as QueryField, token.position);
      default:
        throw new QuerySyntaxError(`unexpected ${describe(token)}`, token.position);
    }
  }

  private parseTermValues(field: QueryField, position: number): QueryNode {
    const first = this.tokens[this.index++];
    if (first?.type === 'value') return { kind: 'term', field, values: [first.matcher] };
    if (first?.type !== 'lparen') throw new QuerySyntaxError('missing value', position);
    const values: ValueMatcher[] = [];
    for (;;) {
      const token = this.tokens[this.index++];
      if (token?.type === 'value') values.push(token.matcher);
      else if (token?.type === 'rparen') break;
      else if (token?.type !== 'or') throw new QuerySyntaxError('malformed value list', position);
    }
    return { kind: 'term', field, values };
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'lparen':
      return '"("';
    case 'rparen':
      return '")"';
    case 'and':
      return '"AND"';
    case 'or':
      return '"OR"';
    case 'not':
      return '"NOT"';
    case 'minus':
      return '"-"';
    case 'star':
      return '"*"';
    case 'field':
      return `field "${token.name}"`;
    default:
      return `value "${token.matcher.value}"`;
  }
}

/** Parses a query; throws `QuerySyntaxError` for anything outside the supported subset. */
export function parseQuery(query: string): QueryNode {
  if (query.trim() === '') return { kind: 'all' };
  const { tokens } = new Lexer(query);
  return new Parser(tokens, query.length).parse();
}

/** The attributes a query can look at. A missing `service` matches no positive service term. */
export interface QueryableIssue {
  id: string;
  service: string | undefined;
  platform: string;
  languages: readonly string[];
  errorType: string;
}

function valueMatches(actual: string, matcher: ValueMatcher, caseInsensitive: boolean): boolean {
  const left = caseInsensitive ? actual.toUpperCase() : actual;
  const right = caseInsensitive ? matcher.value.toUpperCase() : matcher.value;
  return matcher.prefix ? left.startsWith(right) : left === right;
}

function termMatches(issue: QueryableIssue, field: QueryField, values: ValueMatcher[]): boolean {
  const caseInsensitive = CASE_INSENSITIVE_FIELDS.has(field);
  let actual: readonly string[];
  switch (field) {
    case 'service':
      actual = issue.service === undefined ? [] : [issue.service];
      break;
    case 'platform':
      actual = [issue.platform];
      break;
    case 'language':
      actual = issue.languages;
      break;
    case 'issue.id':
      actual = [issue.id];
      break;
    default:
      actual = [issue.errorType];
  }
  return actual.some((candidate) =>
    values.some((matcher) => valueMatches(candidate, matcher, caseInsensitive)),
  );
}

/** Every field a query names. */
export function queryFields(node: QueryNode): QueryField[] {
  switch (node.kind) {
    case 'all':
      return [];
    case 'term':
      return [node.field];
    case 'not':
      return queryFields(node.child);
    default:
      return node.children.flatMap(queryFields);
  }
}

export function matchesQuery(node: QueryNode, issue: QueryableIssue): boolean {
  switch (node.kind) {
    case 'all':
      return true;
    case 'and':
      return node.children.every((child) => matchesQuery(child, issue));
    case 'or':
      return node.children.some((child) => matchesQuery(child, issue));
    case 'not':
      return !matchesQuery(node.child, issue);
    default:
      return termMatches(issue, node.field, node.values);
  }
}

/**
 * How an API that does not index a field may treat a term on it without refusing the query: `dropped`
 * reads the query as if the term (negated or not) were not there; `unmatched` lets the term match no
 * issue, as a field no issue has would, so its negation matches every issue; `strict` lets
 * the negation match no issue either, as a parser that requires every term's field to exist would.
 */
export type IgnoredFieldBehaviour = 'dropped' | 'unmatched' | 'strict';

const MATCHES_NOTHING: QueryNode = { kind: 'or', children: [] };

/** The query an API that ignores the given fields evaluates in place of `node`. */
export function ignoringFields(
  node: QueryNode,
  ignored: ReadonlyMap<QueryField, IgnoredFieldBehaviour>,
): QueryNode {
  const rewrite = (current: QueryNode): QueryNode | undefined => {
    switch (current.kind) {
      case 'all':
        return current;
      case 'term': {
        const behaviour = ignored.get(current.field);
        if (behaviour === 'dropped') return undefined;
        return behaviour === undefined ? current : MATCHES_NOTHING;
      }
      case 'not': {
        const negated = current.child.kind === 'term' ? ignored.get(current.child.field) : undefined;
        if (negated === 'strict') return MATCHES_NOTHING;
        const child = rewrite(current.child);
        return child && { kind: 'not', child };
      }
      default: {
        const children = current.children.map(rewrite).filter((child) => child !== undefined);
        return children.length === 0 ? undefined : { kind: current.kind, children };
      }
    }
  };
  return ignored.size === 0 ? node : (rewrite(node) ?? { kind: 'all' });
}

/** Quotes a value for a query, escaping `"` and `\`: the inverse of the quoted-value rule above. */
export function quoteQueryValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (character) => `\\${character}`)}"`;
}
