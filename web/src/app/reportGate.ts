/**
 * What keeps the console's self-reporting from turning into a flood: the same error (by its type and
 * message) goes out at most once per `cooldownMs`, and at most `maxPerWindow` reports of any kind per
 * `windowMs`. A render that keeps failing, an error thrown from every animation frame or a report that
 * itself fails and is caught again all end here, not in the tracker.
 */
export class ReportGate {
  private readonly lastSent = new Map<string, number>();
  private sentAt: number[] = [];

  private readonly options: { cooldownMs: number; maxPerWindow: number; windowMs: number };

  constructor(options = { cooldownMs: 60_000, maxPerWindow: 10, windowMs: 60_000 }) {
    this.options = options;
  }

  /** Whether a report with this key may go now; a yes counts as sent. */
  allow(key: string, now = Date.now()): boolean {
    const { cooldownMs, maxPerWindow, windowMs } = this.options;
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < cooldownMs) return false;
    this.sentAt = this.sentAt.filter((at) => now - at < windowMs);
    if (this.sentAt.length >= maxPerWindow) return false;
    this.sentAt.push(now);
    this.lastSent.set(key, now);
    // Forget keys long past their cooldown, so a long session does not keep every message it saw.
    if (this.lastSent.size > 200) {
      for (const [k, at] of this.lastSent) if (now - at >= cooldownMs) this.lastSent.delete(k);
    }
    return true;
  }
}

/** The key an error is told apart by: its type and message, without numbers and ids that vary. */
export function reportKey(type: string | undefined, message: string | undefined): string {
  const masked = (message ?? '').replace(/[0-9a-f]{8,}|\d+/gi, '#').slice(0, 300);
  return `${type ?? 'Error'}: ${masked}`;
}
