/**
 * Text widths for the layout, measured with the same font the statechart's SVG text uses
 * (`CHART_FONT`), so ELK reserves exactly the room each label takes.
 */
export const CHART_FONT = '"DejaVu Sans", system-ui, sans-serif';

let context: CanvasRenderingContext2D | null | undefined;

/** Width in pixels of `text` at `size` px in the chart font (bold for titles is measured by the caller's size). */
export function measureText(text: string, size: number): number {
  context ??= document.createElement('canvas').getContext('2d');
  if (!context) return text.length * size * 0.62;
  context.font = `${size}px ${CHART_FONT}`;
  return Math.ceil(context.measureText(text).width);
}
