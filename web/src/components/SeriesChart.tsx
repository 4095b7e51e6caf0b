import { useEffect, useRef } from 'preact/hooks';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

export interface Series {
  name: string;
  values: (number | null)[];
  color: string;
  /** Series with the same stack are drawn on top of each other. */
  stack?: string;
}

/**
 * Bars (horizontal, categories top down) or a line over categories, several named series, a legend.
 * Like RatioBars, a picture for the eye: the pages put the same figures in a table for screen readers.
 */
export function SeriesChart({ kind, categories, series, format, label, lines = [], max }: {
  kind: 'bars' | 'line';
  categories: string[];
  series: Series[];
  format: (value: number) => string;
  label: string;
  lines?: { label: string; value: number; color: string }[];
  max?: number;
}) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    chart.current = echarts.init(element.current!, undefined, { renderer: 'canvas' });
    const resize = () => chart.current?.resize();
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      chart.current?.dispose();
    };
  }, []);

  useEffect(() => {
    const valueAxis = { type: 'value', max, axisLabel: { formatter: (v: number) => format(v), hideOverlap: true } };
    const categoryAxis = { type: 'category', data: categories, inverse: kind === 'bars', axisLabel: { color: '#1f2933', hideOverlap: true } };
    chart.current?.setOption({
      animation: false,
      legend: { top: 0, textStyle: { color: '#1f2933' } },
      grid: { left: 8, right: 24, top: 36 + 16 * lines.length, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => v == null ? '–' : format(Number(v)) },
      xAxis: kind === 'bars' ? valueAxis : categoryAxis,
      yAxis: kind === 'bars' ? categoryAxis : valueAxis,
      series: series.map((s, i) => ({
        type: kind === 'bars' ? 'bar' : 'line',
        name: s.name,
        data: s.values,
        stack: s.stack,
        itemStyle: { color: s.color },
        lineStyle: kind === 'line' ? { color: s.color, width: 3 } : undefined,
        connectNulls: false,
        markLine: i === 0 && lines.length > 0 ? {
          symbol: 'none',
          data: lines.map((l, j) => ({
            name: l.label, [kind === 'bars' ? 'xAxis' : 'yAxis']: l.value, lineStyle: { color: l.color, type: 'dashed', width: 2 },
            label: { formatter: l.label, position: kind === 'bars' ? 'start' : 'insideEndTop', offset: kind === 'bars' ? [0, -16 * j] : [0, 0], color: l.color, fontWeight: 'bold' }
          }))
        } : undefined
      }))
    }, true);
  }, [kind, categories, series, format, lines, max]);

  const height = kind === 'bars' ? Math.max(260, categories.length * 30 * Math.max(1, series.filter(s => !s.stack).length || 1) + 80) : 320;
  return <div ref={element} class="chart" role="img" aria-label={label} style={{ height: `${height}px` }} />;
}
