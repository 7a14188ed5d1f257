/**
 * A small arithmetic evaluator for the `math.calculate` tool: a recursive-descent parser over
 * numbers, + - * / % ^, parentheses, a few functions and constants. It never reaches eval or
 * Function, so an expression can compute but cannot run code.
 */

export class CalculationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalculationError';
  }
}

export const MAX_EXPRESSION_LENGTH = 500;
const MAX_DEPTH = 64;

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, tau: 2 * Math.PI };

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...args: number[]) => number }> = {
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  cbrt: { arity: [1, 1], fn: Math.cbrt },
  abs: { arity: [1, 1], fn: Math.abs },
  round: { arity: [1, 1], fn: Math.round },
  floor: { arity: [1, 1], fn: Math.floor },
  ceil: { arity: [1, 1], fn: Math.ceil },
  exp: { arity: [1, 1], fn: Math.exp },
  ln: { arity: [1, 1], fn: Math.log },
  log: { arity: [1, 1], fn: Math.log10 },
  log2: { arity: [1, 1], fn: Math.log2 },
  sin: { arity: [1, 1], fn: Math.sin },
  cos: { arity: [1, 1], fn: Math.cos },
  tan: { arity: [1, 1], fn: Math.tan },
  pow: { arity: [2, 2], fn: Math.pow },
  min: { arity: [1, 64], fn: Math.min },
  max: { arity: [1, 64], fn: Math.max },
};

type Token =
  | { kind: 'number'; value: number; at: number }
  | { kind: 'name'; value: string; at: number }
  | { kind: 'op'; value: string; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|([a-z_][a-z0-9_]*)|(\*\*|[-+*/%^(),]))/iy;
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(source);
    if (!m) {
      const bad = source.slice(at).search(/\S/) + at;
      throw new CalculationError(`unexpected character "${source[bad]}" at position ${bad + 1}`);
    }
    const start = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? '').length;
    if (m[1] !== undefined) tokens.push({ kind: 'number', value: Number(m[1]), at: start });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', value: m[2].toLowerCase(), at: start });
    else tokens.push({ kind: 'op', value: m[3] === '**' ? '^' : m[3]!, at: start });
    at = re.lastIndex;
  }
  return tokens;
}

/**
 * Grammar (lowest precedence first):
 *   expr   := term (('+' | '-') term)*
 *   term   := unary (('*' | '/' | '%') unary)*
 *   unary  := ('+' | '-') unary | power
 *   power  := atom ('^' unary)?          right-associative, binds tighter than unary minus on its left
 *   atom   := number | constant | name '(' expr (',' expr)* ')' | '(' expr ')'
 */
class Parser {
  private pos = 0;
  private depth = 0;
  private readonly tokens: Token[];
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  parse(): number {
    if (this.tokens.length === 0) throw new CalculationError('the expression is empty');
    const value = this.expr();
    const extra = this.peek();
    if (extra) throw new CalculationError(`unexpected "${extra.value}" at position ${extra.at + 1}`);
    return value;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t?.kind === 'op' && t.value === value;
  }

  private expect(value: string): void {
    if (!this.isOp(value)) {
      const t = this.peek();
      throw new CalculationError(
        t
          ? `expected "${value}" at position ${t.at + 1}, found "${t.value}"`
          : `expected "${value}" at the end`,
      );
    }
    this.pos++;
  }

  private nested<T>(fn: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new CalculationError('the expression is nested too deeply');
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  private expr(): number {
    let value = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.tokens[this.pos++]!.value;
      const rhs = this.term();
      value = op === '+' ? value + rhs : value - rhs;
    }
    return value;
  }

  private term(): number {
    let value = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.tokens[this.pos++]!.value;
      const rhs = this.unary();
      if ((op === '/' || op === '%') && rhs === 0) throw new CalculationError('division by zero');
      value = op === '*' ? value * rhs : op === '/' ? value / rhs : value % rhs;
    }
    return value;
  }

  private unary(): number {
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.tokens[this.pos++]!.value;
      const value = this.nested(() => this.unary());
      return op === '-' ? -value : value;
    }
    return this.power();
  }

  private power(): number {
    const base = this.atom();
    if (!this.isOp('^')) return base;
    this.pos++;
    return base ** this.nested(() => this.unary());
  }

  private atom(): number {
    const t = this.peek();
    if (!t) throw new CalculationError('the expression ends too early');
    this.pos++;
    if (t.kind === 'number') return t.value;
    if (t.kind === 'op') {
      if (t.value !== '(') throw new CalculationError(`unexpected "${t.value}" at position ${t.at + 1}`);
      const value = this.nested(() => this.expr());
      this.expect(')');
      return value;
    }
    const fn = FUNCTIONS[t.value];
    if (fn) return this.call(t.value, fn);
    const constant = CONSTANTS[t.value];
    if (constant !== undefined) return constant;
    throw new CalculationError(`unknown name "${t.value}" at position ${t.at + 1}`);
  }

  private call(name: string, fn: (typeof FUNCTIONS)[string]): number {
    this.expect('(');
    const args: number[] = [];
    if (!this.isOp(')')) {
      args.push(this.nested(() => this.expr()));
      while (this.isOp(',')) {
        this.pos++;
        args.push(this.nested(() => this.expr()));
      }
    }
    this.expect(')');
    const [min, max] = fn.arity;
    if (args.length < min || args.length > max) {
      const wanted = min === max ? `${min}` : `${min} to ${max}`;
      throw new CalculationError(`${name}() takes ${wanted} argument(s), got ${args.length}`);
    }
    return fn.fn(...args);
  }
}

/** Evaluates an arithmetic expression; throws CalculationError with a message fit for the model. */
export function calculate(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new CalculationError(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  const result = new Parser(tokenize(expression)).parse();
  if (Number.isNaN(result)) throw new CalculationError('the result is not a number');
  if (!Number.isFinite(result)) throw new CalculationError('the result is too large');
  return Object.is(result, -0) ? 0 : result;
}
