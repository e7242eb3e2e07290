// Places on a map with no tile server: an ECharts scatter of longitude against latitude, the
// longitude axis stretched by 1 / cos(mean latitude) so a kilometre east looks as long as a
// kilometre north there, each point sized by its value and named; exported as PNG (the page's
// table holds the figures).
import { h } from './shell.js';

export function mapPanel(spec) {
  const { name, title } = spec;
  const heading = h('h2', { id: `${name}-title` }, title);
  const canvas = h('div', { className: 'chart tall', role: 'img', 'aria-label': title });
  const caption = h('p', { className: 'muted' });
  const png = h('button', { type: 'button' }, 'PNG');
  const panel = h(
    'section',
    { className: 'panel wide', id: `chart-${name}`, 'aria-labelledby': heading.id },
    h('div', { className: 'panel-head' }, heading, h('div', { className: 'tools' }, png)),
    canvas,
    caption,
  );
  const chart = window.echarts.init(canvas, null, { renderer: 'canvas' });
  new ResizeObserver(() => chart.resize()).observe(canvas);
  png.addEventListener('click', () => {
    const link = h('a', {
      href: chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }),
      download: `${name}.png`,
      hidden: true,
    });
    document.body.append(link);
    link.click();
    link.remove();
  });

  return {
    element: panel,
    update({ points, caption: text }) {
      const lats = points.map((p) => p.latitude);
      const lons = points.map((p) => p.longitude);
      const pad = 0.6;
      const [south, north] = [Math.min(...lats) - pad, Math.max(...lats) + pad];
      const [west, east] = [Math.min(...lons) - pad, Math.max(...lons) + pad];
      const stretch = Math.cos((((south + north) / 2) * Math.PI) / 180);
      const biggest = Math.max(1, ...points.map((p) => p.value));
      chart.setOption(
        {
          animation: false,
          grid: { left: 48, right: 24, top: 16, bottom: 36 },
          tooltip: { formatter: (p) => p.data.label },
          // Degrees east scaled by cos(latitude): equal distances look equal at this latitude.
          xAxis: {
            type: 'value',
            min: west * stretch,
            max: east * stretch,
            name: '°E',
            axisLabel: {
              showMinLabel: false,
              showMaxLabel: false,
              formatter: (v) => (v / stretch).toFixed(1),
            },
            splitLine: { lineStyle: { type: 'dashed' } },
          },
          yAxis: {
            type: 'value',
            min: south,
            max: north,
            name: '°N',
            axisLabel: { showMinLabel: false, showMaxLabel: false, formatter: (v) => v.toFixed(1) },
            splitLine: { lineStyle: { type: 'dashed' } },
          },
          series: [
            {
              type: 'scatter',
              data: points.map((p) => ({
                value: [p.longitude * stretch, p.latitude],
                label: p.label,
                name: p.name,
                id: p.id,
                size: p.value,
              })),
              symbolSize: (_, p) => 8 + 32 * Math.sqrt(Math.max(0, p.data.size) / biggest),
              itemStyle: { color: '#1d4ed8', opacity: 0.75 },
              label: {
                show: true,
                position: 'right',
                formatter: (p) => p.data.name,
                color: '#1b2130',
              },
              labelLayout: { hideOverlap: true },
            },
          ],
        },
        { notMerge: true },
      );
      caption.textContent = text;
      panel.dataset.points = String(points.length);
    },
  };
}
