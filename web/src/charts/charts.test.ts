import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { BarChart } from './BarChart.tsx';
import { Sparkline } from './Sparkline.tsx';
import { LineOverTimeChart, StackedColumnChart, type TimeAxis } from './TimeCharts.tsx';

const minute = 60_000;
const start = new Date(2026, 10, 23, 16, 0).getTime();
const axis: TimeAxis = {
  bucketMs: minute,
  everyMinutes: 15,
  tick: (at) => new Date(at).toTimeString().slice(0, 5),
  bucket: (at) => new Date(at).toTimeString().slice(0, 5),
};
const buckets = (values: Array<Array<number | null>>) =>
  values.map((v, i) => ({ at: start + i * minute, values: v }));
const count = (html: string, pattern: RegExp) => html.match(pattern)?.length ?? 0;

describe('BarChart', () => {
  it('draws a bar per category and series, described for screen readers', () => {
    const html = renderToStaticMarkup(
      createElement(BarChart, {
        title: 'Runs by status',
        series: [{ name: 'Runs', tone: 'accent' }],
        data: [
          { label: 'Succeeded', values: [3], tone: 'ok' },
          { label: 'Failed', values: [1], tone: 'bad' },
        ],
        axisLabel: 'runs',
        integer: true,
        emptyTitle: 'No runs yet',
      }),
    );
    expect(html).toContain('<desc');
    expect(html).toContain('Succeeded: Runs 3; Failed: Runs 1</desc>');
    expect(count(html, /class="[^"]*chart-bar tone-(ok|bad)"/g)).toBe(2);
    expect(html).toContain('<title>Failed, Runs: 1</title>');
  });

  it('says when there is nothing to draw', () => {
    const html = renderToStaticMarkup(
      createElement(BarChart, {
        title: 'T',
        series: [],
        data: [],
        axisLabel: 'x',
        emptyTitle: 'No runs yet',
      }),
    );
    expect(html).toContain('No runs yet');
    expect(html).not.toContain('<svg');
  });
});

describe('time charts', () => {
  it('draw every bucket of the window, empty ones included, and stack the series', () => {
    const html = renderToStaticMarkup(
      createElement(StackedColumnChart, {
        title: 'Finished',
        series: [
          { name: 'Succeeded', tone: 'ok' },
          { name: 'Failed', tone: 'bad' },
        ],
        buckets: buckets([
          [1, 0],
          [null, null],
          [2, 1],
          [0, 0],
        ]),
        axis,
        axisLabel: 'runs per minute',
        integer: true,
        emptyTitle: 'None',
      }),
    );
    expect(count(html, /class="chart-band"/g)).toBe(4);
    expect(count(html, /class="chart-bar tone-/g)).toBe(3);
    expect(html).toContain(
      'In all: Succeeded 3, Failed 1. 16:00: Succeeded 1. 16:02: Succeeded 2, Failed 1.</desc>',
    );
    expect(html).toContain('16:00');
  });

  it('break a line where a bucket has no value, and mark a value alone as a dot', () => {
    const html = renderToStaticMarkup(
      createElement(LineOverTimeChart, {
        title: 'p50',
        series: [{ name: 'p50', tone: 'accent' }],
        buckets: buckets([[10], [20], [null], [5], [null]]),
        axis,
        axisLabel: 'ms',
        emptyTitle: 'None',
      }),
    );
    const path = /<path class="[^"]*chart-line tone-accent" d="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(count(path, /M/g)).toBe(2);
    expect(count(html, /class="chart-dot tone-accent"/g)).toBe(1);
  });
});

describe('Sparkline', () => {
  it('draws a row’s values as a small line named by its label', () => {
    const html = renderToStaticMarkup(
      createElement(Sparkline, { values: [1, 3, null, 2], label: 'Runs per hour' }),
    );
    expect(html).toContain('aria-label="Runs per hour"');
    expect(html).toMatch(/<path class="[^"]*chart-line tone-accent" d="M[^"]+"/);
  });
});
