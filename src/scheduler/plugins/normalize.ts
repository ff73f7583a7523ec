/** kube-scheduler's helper.DefaultNormalizeScore: scores scaled so the highest is 100 (reversed: the lowest is). */

export const MAX_NODE_SCORE = 100;

export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  const max = Math.max(0, ...scores);
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((MAX_NODE_SCORE * (scores[i] as number)) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
