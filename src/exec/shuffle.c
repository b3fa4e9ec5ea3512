/*
 * shuffle.c - the map side of a shuffle: rows go to shuffle partition
 * key_group_partition(key_group(hash(key))) (state_store.h), so a key always meets
 * its state in the same partition, and whole key groups can later move between
 * processes. Shared by aggregation, deduplication and stream-stream joins.
 *
 * Invariant: rows keep their input order within each partition (first-row-wins
 * operators such as dropDuplicates depend on it).
 */
#include <stdlib.h>

#include "exec/exec.h"

int sp_shuffle_partition_of(sp_vec *const *keys, int nkeys, int skip, int64_t r, int nparts) {
  uint64_t h = 0x2545f4914f6cdd1dull;
  for (int c = 0; c < nkeys; c++)
    if (c != skip) h = sp_vec_hash_row(keys[c], r, h);
  return sp_key_group_partition(sp_key_group(h), nparts);
}

int sp_shuffle_split(const sp_batch *in, sp_vec *const *keys, int nkeys, int skip, int nparts, sp_batch **per_part) {
  if (nparts < 1) return SPATE_EINVAL;
  for (int p = 0; p < nparts; p++) per_part[p] = NULL;
  if (in->nrows == 0) return 0;
  int32_t *pid = malloc((size_t)in->nrows * sizeof *pid);
  int32_t *idx = malloc((size_t)in->nrows * sizeof *idx);
  int64_t *start = calloc((size_t)nparts + 1, sizeof *start);
  int rc = (!pid || !idx || !start) ? SPATE_ENOMEM : 0;
  /* Counting sort by partition: one pass to count, one to place. */
  for (int64_t r = 0; !rc && r < in->nrows; r++) {
    pid[r] = sp_shuffle_partition_of(keys, nkeys, skip, r, nparts);
    start[pid[r] + 1]++;
  }
  for (int p = 0; !rc && p < nparts; p++) start[p + 1] += start[p];
  if (!rc) {
    int64_t *fill = malloc((size_t)(unsigned)nparts * sizeof *fill);
    if (!fill) {
      rc = SPATE_ENOMEM;
    } else {
      for (int p = 0; p < nparts; p++) fill[p] = start[p];
      for (int64_t r = 0; r < in->nrows; r++) idx[fill[pid[r]]++] = (int32_t)r;
      free(fill);
    }
  }
  for (int p = 0; p < nparts && !rc; p++) {
    int64_t m = start[p + 1] - start[p];
    if (m && !(per_part[p] = sp_batch_take(in, idx + start[p], m))) rc = SPATE_ENOMEM;
  }
  free(pid);
  free(idx);
  free(start);
  if (rc)
    for (int p = 0; p < nparts; p++) {
      sp_batch_free(per_part[p]);
      per_part[p] = NULL;
    }
  return rc;
}
