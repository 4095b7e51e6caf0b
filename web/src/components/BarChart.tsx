import { useEffect, useRef } from 'preact/hooks';
import * as echarts from 'echarts/core';
import { BarChart as Bars } from 'echarts/charts';
import { GridComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([Bars, GridComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

export interface Line {
  label: string;
  value: number;
  color: string;
}

/**
 * Horizontal bars of ratios (0-1) in the order given, with reference lines. The chart is a picture for the
 * eye: the same figures stand in a table beside it for screen readers and for copying.
 */
export function RatioBars({ labels, values, lines, format, label }: {
  labels: string[];
  values: (number | null)[];
  lines: Line[];
  format: (ratio: number) => string;
  label: string;
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
    const max = Math.max(1, ...values.map(v => v ?? 0), ...lines.map(l => l.value));
    chart.current?.setOption({
      animation: false,
      grid: { left: 8, right: 48, top: 18 + 16 * lines.length, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => format(Number(v)) },
      xAxis: { type: 'value', max: Math.min(1, Math.ceil(max * 10) / 10), axisLabel: { formatter: (v: number) => format(v) } },
      // Highest first, at the top.
      yAxis: { type: 'category', data: labels, inverse: true, axisLabel: { color: '#1f2933' } },
      series: [{
        type: 'bar',
        data: values,
        itemStyle: { color: '#1d5fa8' },
        label: { show: true, position: 'right', formatter: (p: { value: unknown }) => p.value == null ? '' : format(Number(p.value)) },
        markLine: {
          symbol: 'none',
          // Labels stacked above the chart (the start of a line: the y axis runs top down), so two close lines never overlap.
          data: lines.map((l, i) => ({
            name: l.label, xAxis: l.value, lineStyle: { color: l.color, type: 'dashed', width: 2 },
            label: { formatter: l.label, position: 'start', offset: [0, -16 * i], color: l.color, fontWeight: 'bold' }
          }))
        }
      }]
    }, true);
  }, [labels, values, lines, format]);

  return <div ref={element} class="chart" role="img" aria-label={label} style={{ height: `${Math.max(260, labels.length * 34 + 60)}px` }} />;
}
