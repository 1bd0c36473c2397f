"""Scores a `metablend forecast` CSV of an M4 frequency against the official test file:
sMAPE, MASE and OWA (vs the pool's Naive2 column), interval coverage and MSIS per method.

python3 scripts/score_m4.py FORECASTS.csv TEST.csv.gz TRAIN.csv.gz SEASON
(the official wide files, e.g. Weekly-test.csv.gz Weekly-train.csv.gz 52)
"""
import csv, gzip, sys, math
fc_path, test_path, train_path, m = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def wide(p):
    out = {}
    with gzip.open(p, 'rt') as f:
        r = csv.reader(f); next(r)
        for row in r:
            out[row[0]] = [float(x) for x in row[1:] if x.strip()]
    return out
test, train = wide(test_path), wide(train_path)
rows = list(csv.DictReader(open(fc_path)))
by = {}
for r in rows: by.setdefault(r['unique_id'], []).append(r)
cols = [c for c in rows[0].keys() if c not in ('unique_id','ds','fallback') and not c.startswith('w_') and '-lo-' not in c and '-hi-' not in c]
levels = sorted({c.split('-lo-')[1] for c in rows[0].keys() if '-lo-' in c})
def smape(y,f): return 200/len(y)*sum(abs(a-b)/(abs(a)+abs(b)) for a,b in zip(y,f))
def scale(x): return sum(abs(x[i]-x[i-m]) for i in range(m,len(x)))/(len(x)-m)
res = {c: [0,0] for c in cols}
# Coverage and MSIS per method and level; a fallback row's empty cells take the combined
# forecast's values (the fallback's).
icols = [c for c in cols if f'{c}-lo-{levels[0]}' in rows[0]] if levels else []
cov = {(c, l): [0,0] for c in icols for l in levels}; msis = {(c, l): 0 for c in icols for l in levels}
def cell(r, c, fb): return float(r[c]) if r[c] else float(r[fb])
for sid, rs in by.items():
    y = test[sid]; s = scale(train[sid])
    for c in cols:
        f = [cell(r, c, 'metablend') for r in rs]
        res[c][0] += smape(y,f); res[c][1] += sum(abs(a-b) for a,b in zip(y,f))/len(y)/s
    for c in icols:
        for l in levels:
            a = 1-float(l)/100
            lo = [cell(r, f'{c}-lo-{l}', f'metablend-lo-{l}') for r in rs]
            hi = [cell(r, f'{c}-hi-{l}', f'metablend-hi-{l}') for r in rs]
            cov[c, l][0] += sum(lo_<=v<=hi_ for v,lo_,hi_ in zip(y,lo,hi)); cov[c, l][1] += len(y)
            msis[c, l] += sum((hi_-lo_) + 2/a*(lo_-v)*(v<lo_) + 2/a*(v-hi_)*(v>hi_) for v,lo_,hi_ in zip(y,lo,hi))/len(y)/s
n = len(by)
n2 = [c for c in cols if c.startswith('naive2')][0]
sn, mn = res[n2][0]/n, res[n2][1]/n
for c in cols:
    sm, ma = res[c][0]/n, res[c][1]/n
    line = f"{c:28s} sMAPE {sm:7.3f} MASE {ma:7.3f} OWA {(sm/sn+ma/mn)/2:6.3f}"
    for l in (levels if c in icols else []):
        line += f"  | {l}%: coverage {100*cov[c, l][0]/cov[c, l][1]:5.1f}% MSIS {msis[c, l]/n:7.3f}"
    print(line)
