/**
 * The row partition of a split: a leaf's slice of the row-index array is reordered, stably, into
 * the rows going left then the rows going right. A HistogramBuilder may cut the slice into chunks
 * and partition them on several threads (ml/parallel/); mergePartitionChunks then joins them.
 *
 * partitionRange is self-contained (no imports, nothing outside its body): worker threads run its
 * source text (Function.prototype.toString), as they do the histogram kernel's.
 */

/**
 * Partitions idx[start..end) by the bins colBins[base + row] (one feature, column-major): the left
 * rows are compacted in place from `start`, the right rows written to tmp[start..]. Returns the
 * number of left rows. goLeft is scratch of at least nanBin + 1 entries.
 */
export function partitionRange(
  colBins: Uint8Array | Uint16Array,
  base: number,
  idx: Uint32Array,
  start: number,
  end: number,
  tmp: Uint32Array,
  goLeft: Uint8Array,
  thr: number,
  nanBin: number,
  defaultLeft: number,
): number {
  // Side of every bin in a table and both writes unconditional: the left/right branch is a coin
  // flip the CPU cannot predict (this loop took about 2x longer with it).
  for (let b = 0; b <= nanBin; b++) goLeft[b] = b === nanBin ? defaultLeft : b <= thr ? 1 : 0;
  let w = start;
  let nr = start;
  for (let i = start; i < end; i++) {
    const row = idx[i]!;
    const g = goLeft[colBins[base + row]!]!;
    idx[w] = row;
    tmp[nr] = row;
    w += g;
    nr += 1 - g;
  }
  return w - start;
}

/**
 * Joins chunks partitioned by partitionRange: chunk c covers idx[bounds[c]..bounds[c + 1]) and has
 * lefts[c] left rows. Writes all left rows (in order) then all right rows into idx from bounds[0];
 * returns the end of the left rows.
 */
export function mergePartitionChunks(idx: Uint32Array, tmp: Uint32Array, bounds: Int32Array, lefts: Int32Array, chunks: number): number {
  let pos = bounds[0]! + lefts[0]!;
  for (let c = 1; c < chunks; c++) {
    // Moves down only (pos <= bounds[c]): copyWithin copies as if through a buffer.
    idx.copyWithin(pos, bounds[c]!, bounds[c]! + lefts[c]!);
    pos += lefts[c]!;
  }
  const leftEnd = pos;
  for (let c = 0; c < chunks; c++) {
    const s = bounds[c]!;
    const nr = bounds[c + 1]! - s - lefts[c]!;
    idx.set(tmp.subarray(s, s + nr), pos);
    pos += nr;
  }
  return leftEnd;
}
