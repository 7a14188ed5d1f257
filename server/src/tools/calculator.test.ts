import { describe, expect, it } from 'vitest';
import { CalculationError, calculate } from './calculator.ts';

describe('calculate', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 / 4', 2.5],
    ['10 % 4', 2],
    ['2 ^ 10', 1024],
    ['2 ** 3', 8],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['2 ^ -1', 0.5],
    ['--3', 3],
    ['-(4 - 6)', 2],
    ['.5 + 1.25', 1.75],
    ['1e3 + 2E-1', 1000.2],
    ['sqrt(16) + abs(-3)', 7],
    ['max(1, 7, 3) - min(4, 2)', 5],
    ['pow(2, 8)', 256],
    ['round(2.5) + floor(2.7) + ceil(2.1)', 8],
    ['log(1000) + ln(e) + log2(8)', 7],
    ['PI', Math.PI],
    ['2 * pi', 2 * Math.PI],
    ['-0 * 5', 0],
  ])('%s = %d', (expression, expected) => {
    expect(calculate(expression)).toBeCloseTo(expected, 12);
  });

  it.each([
    ['', 'the expression is empty'],
    ['   ', 'the expression is empty'],
    ['1 +', 'the expression ends too early'],
    ['(1 + 2', 'expected ")" at the end'],
    ['1 + 2)', 'unexpected ")" at position 6'],
    ['2 $ 3', 'unexpected character "$" at position 3'],
    ['foo(1)', 'unknown name "foo" at position 1'],
    ['process', 'unknown name "process" at position 1'],
    ['1 / 0', 'division by zero'],
    ['5 % 0', 'division by zero'],
    ['sqrt(-1)', 'the result is not a number'],
    ['10 ^ 400', 'the result is too large'],
    ['pow(2)', 'pow() takes 2 argument(s), got 1'],
    ['sqrt(1, 2)', 'sqrt() takes 1 argument(s), got 2'],
    ['1 2', 'unexpected "2" at position 3'],
  ])('%j fails: %s', (expression, message) => {
    expect(() => calculate(expression)).toThrow(new CalculationError(message));
  });

  it('refuses code instead of running it', () => {
    expect(() => calculate('constructor.constructor("return 1")()')).toThrow(CalculationError);
    expect(() => calculate('this')).toThrow('unknown name "this" at position 1');
  });

  it('bounds length and nesting', () => {
    expect(() => calculate(`${'1+'.repeat(300)}1`)).toThrow('the expression is longer than 500 characters');
    expect(() => calculate(`${'('.repeat(100)}1${')'.repeat(100)}`)).toThrow(
      'the expression is nested too deeply',
    );
    expect(() => calculate(`${'-'.repeat(100)}1`)).toThrow('the expression is nested too deeply');
  });
});
