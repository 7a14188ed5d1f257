import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Countdown } from './Toasts.tsx';

describe('Countdown', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires once after running for the whole time', () => {
    const done = vi.fn();
    new Countdown(5000, done).resume();
    vi.advanceTimersByTime(4999);
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(done).toHaveBeenCalledTimes(1);
  });

  it('holds while paused and goes on with what was left', () => {
    const done = vi.fn();
    const countdown = new Countdown(5000, done);
    countdown.resume();
    vi.advanceTimersByTime(3000);
    countdown.pause();
    vi.advanceTimersByTime(60_000);
    expect(done).not.toHaveBeenCalled();
    countdown.resume();
    vi.advanceTimersByTime(1999);
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(done).toHaveBeenCalledTimes(1);
  });

  it('ignores a second resume and never fires twice', () => {
    const done = vi.fn();
    const countdown = new Countdown(1000, done);
    countdown.resume();
    countdown.resume();
    vi.advanceTimersByTime(5000);
    countdown.resume();
    vi.advanceTimersByTime(5000);
    expect(done).toHaveBeenCalledTimes(1);
  });
});
