"""BioCoder templates over sequences: windows, k-mers, translation, digests, alignment, repeats, consensus.

Each instance's parameters are stated in its problem and fixed in its reference; its hidden program prints
what the function returns on several seeded random inputs (lists, strings, numbers: never the input itself
nor None, so a stub cannot pass; ``generated.py`` checks it all the same). Outputs are sorted where a set
would leave their order to the interpreter's hash seed.
"""

from __future__ import annotations

import itertools

from .template import Params, Parts, Template, code

__all__ = ["TEMPLATES"]

_RC = "str.maketrans('ACGT', 'TGCA')"


def _gc_windows(p: Params) -> Parts:
    w, step, d = p["w"], p["step"], p["d"]
    return Parts(
        f"Write a function gc_windows(seq) that returns the GC fraction (G and C over the window length) of "
        f"each full window of {w} bases of an upper-case DNA sequence, windows starting at position 0 and "
        f"then every {step} bases, each rounded to {d} decimals, as a list (empty when the sequence is "
        "shorter than one window).",
        code(
            "def gc_windows(seq):\n"
            "    return [round(sum(b in 'GC' for b in seq[i:i + $W]) / $W, $D)\n"
            "            for i in range(0, len(seq) - $W + 1, $STEP)]\n",
            W=w,
            D=d,
            STEP=step,
        ),
        code(
            "for n in ($A, $B, 97, 150):\n    print(gc_windows(random_sequence(n)))", A=w - 1, B=2 * w + step
        ),
    )


def _gc_skew(p: Params) -> Parts:
    w, step, d = p["w"], p["step"], p["d"]
    return Parts(
        f"Write a function skew_windows(seq) that returns the GC skew (G - C) / (G + C) of each full window "
        f"of {w} bases of an upper-case DNA sequence (0.0 for a window without G or C), windows starting at "
        f"position 0 and then every {step} bases, each rounded to {d} decimals, as a list.",
        code(
            "def skew_windows(seq):\n"
            "    out = []\n"
            "    for i in range(0, len(seq) - $W + 1, $STEP):\n"
            "        g, c = seq.count('G', i, i + $W), seq.count('C', i, i + $W)\n"
            "        out.append(round((g - c) / (g + c), $D) if g + c else 0.0)\n"
            "    return out\n",
            W=w,
            D=d,
            STEP=step,
        ),
        code(
            "for n in (80, 131):\n    print(skew_windows(random_sequence(n, 'ACGTGGA')))\n"
            "print(skew_windows('AT' * $W))",
            W=w,
        ),
    )


def _top_kmers(p: Params) -> Parts:
    k, m, canonical, skip_n = p["k"], p["m"], p["canonical"], p["skip_n"]
    rule = (
        " Each k-mer is counted under the lexicographically smaller of itself and its reverse complement."
        if canonical
        else ""
    )
    n_rule = (
        " K-mers containing N are not counted." if skip_n else " K-mers containing N count like any other."
    )
    body = "        kmer = seq[i:i + $K]\n"
    if skip_n:
        body += "        if 'N' in kmer:\n            continue\n"
    if canonical:
        body += f"        kmer = min(kmer, kmer.translate({_RC})[::-1])\n"
    return Parts(
        f"Write a function top_kmers(seq) that returns the {m} most frequent {k}-mers of an upper-case DNA "
        f"sequence (overlapping occurrences count), as a list of (kmer, count) tuples sorted by count, "
        f"highest first, then by k-mer; fewer when there are fewer distinct k-mers.{rule}{n_rule}",
        code(
            "def top_kmers(seq):\n"
            "    counts = {}\n"
            "    for i in range(len(seq) - $K + 1):\n"
            + body
            + "        counts[kmer] = counts.get(kmer, 0) + 1\n"
            "    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:$M]\n",
            K=k,
            M=m,
        ),
        "for n in (40, 200, 600):\n    print(top_kmers(random_sequence(n, 'ACGTACGTN')))",
    )


_CODONS = """
BASES = "TCAG"
AMINO = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE = {a + b + c: AMINO[16 * i + 4 * j + k]
               for i, a in enumerate(BASES) for j, b in enumerate(BASES) for k, c in enumerate(BASES)}
"""
_CHANGES = {
    "TGA->W": {"TGA": "W"},
    "ATA->M": {"ATA": "M"},
    "AGA,AGG->*": {"AGA": "*", "AGG": "*"},
    "CTT,CTC,CTA,CTG->T": {"CTT": "T", "CTC": "T", "CTA": "T", "CTG": "T"},
    "TAA,TAG->Q": {"TAA": "Q", "TAG": "Q"},
    "AAA->N": {"AAA": "N"},
    "AGA,AGG->S": {"AGA": "S", "AGG": "S"},
}
_CHANGE_SETS = [()] + [
    combo
    for size in (1, 2)
    for combo in itertools.combinations(_CHANGES, size)
    if len({c for name in combo for c in _CHANGES[name]}) == sum(len(_CHANGES[name]) for name in combo)
]
_STOPS = {
    "stop": ("stops before the first stop codon", "            break\n"),
    "keep": (
        "writes each stop codon as '*' and goes on",
        "            out.append('*')\n            continue\n",
    ),
    "skip": ("leaves stop codons out and goes on", "            continue\n"),
}


def _translate(p: Params) -> Parts:
    frame, reverse, stop, changes = p["frame"], p["reverse"], p["stop"], p["changes"]
    table: dict[str, str] = {}
    for name in changes:
        table.update(_CHANGES[name])
    said = "; ".join(name.replace("->", " become ") for name in changes) or "none"
    strand = "the reverse complement of the sequence" if reverse else "the sequence"
    prepare = f"    seq = dna.translate({_RC})[::-1]\n" if reverse else "    seq = dna\n"
    what, on_stop = _STOPS[stop]
    return Parts(
        "Write a function translate_frame(dna) that translates an upper-case DNA sequence with the genetic "
        "code of the module-level dict CODON_TABLE (DNA codon -> one-letter amino acid, '*' for a stop; the "
        f"standard code) with these codons reassigned: {said}. It translates {strand} from 0-based offset "
        f"{frame}, codon by codon (an incomplete last codon is ignored), and {what}; it returns the protein "
        "as a string.",
        code(
            "def translate_frame(dna):\n"
            "    table = dict(CODON_TABLE)\n"
            "    table.update($TABLE)\n" + prepare + "    out = []\n"
            "    for i in range($FRAME, len(seq) - 2, 3):\n"
            "        amino = table[seq[i:i + 3]]\n"
            "        if amino == '*':\n" + on_stop + "        out.append(amino)\n"
            "    return ''.join(out)\n",
            TABLE=table,
            FRAME=frame,
        ),
        "for n in (30, 61, 95, 150, 222):\n    print(translate_frame(random_sequence(n, 'ACGTAG')))",
        _CODONS,
    )


_ENZYMES = {
    "EcoRI": ("GAATTC", 1),
    "BamHI": ("GGATCC", 1),
    "HindIII": ("AAGCTT", 1),
    "NotI": ("GCGGCCGC", 2),
    "EcoRV": ("GATATC", 3),
    "SmaI": ("CCCGGG", 3),
    "KpnI": ("GGTACC", 5),
    "PstI": ("CTGCAG", 5),
    "XhoI": ("CTCGAG", 1),
    "SacI": ("GAGCTC", 5),
    "NcoI": ("CCATGG", 1),
    "XbaI": ("TCTAGA", 1),
    "SalI": ("GTCGAC", 1),
    "MboI": ("GATC", 0),
    "AluI": ("AGCT", 2),
    "HaeIII": ("GGCC", 2),
    "TaqI": ("TCGA", 1),
}
_DIGESTS = [(e,) for e in _ENZYMES] + list(itertools.combinations(_ENZYMES, 2))


def _digest(p: Params) -> Parts:
    enzymes, circular, order = p["enzymes"], p["circular"], p["order"]
    sites = [_ENZYMES[e] for e in enzymes]
    named = " and ".join(
        f"{e} (site {s}, cut after {c} bases of the site)" for e, (s, c) in zip(enzymes, sites, strict=True)
    )
    if circular:
        shape = (
            "a circular DNA sequence (sites are searched in the sequence as written, not across its end): "
            "with no cut it is one fragment of its whole length; else the fragments run from each cut to the "
            "next, the last one wrapping round to the first cut, listed from the first cut on"
        )
        pieces = (
            "    if not cuts:\n        return [len(seq)]\n"
            "    lengths = [b - a for a, b in zip(cuts, cuts[1:])] + [len(seq) - cuts[-1] + cuts[0]]\n"
        )
    else:
        shape = "a linear DNA sequence, fragments listed from its start"
        pieces = (
            "    bounds = [0] + [c for c in cuts if 0 < c < len(seq)] + [len(seq)]\n"
            "    lengths = [b - a for a, b in zip(bounds, bounds[1:])]\n"
        )
    sort = "    return sorted(lengths, reverse=True)\n" if order == "size" else "    return lengths\n"
    return Parts(
        f"Write a function digest(seq) that returns the fragment lengths of {shape}, after cutting with "
        f"{named}. Every occurrence of a site on the given strand (overlapping ones too) cuts at its start "
        "position plus the cut offset; a position cut twice is one cut. "
        + (
            "Return the lengths sorted from largest to smallest."
            if order == "size"
            else "Return them as a list."
        ),
        code(
            "def digest(seq):\n"
            "    cuts = set()\n"
            "    for site, offset in $SITES:\n"
            "        start = seq.find(site)\n"
            "        while start != -1:\n"
            "            cuts.add(start + offset)\n"
            "            start = seq.find(site, start + 1)\n"
            "    cuts = sorted(cuts)\n",
            SITES=sites,
        )
        + pieces
        + sort,
        code(
            "sites = $PLAIN\n"
            "for parts in (1, 3, 5, 8):\n"
            "    seq = ''.join(random_sequence(random.randint(5, 60)) + random.choice(sites) for _ in range(parts))\n"
            "    print(digest(seq + random_sequence(random.randint(0, 30))))",
            PLAIN=[s for s, _c in sites],
        ),
    )


def _alignment(p: Params) -> Parts:
    mode, match, mismatch, gap = p["mode"], p["match"], p["mismatch"], p["gap"]
    local = mode == "local"
    kind = (
        "optimal Smith-Waterman local alignment score (cell scores never drop below 0; the best cell wins)"
        if local
        else "optimal Needleman-Wunsch global alignment score"
    )
    floor = "0, " if local else ""
    edge = "0" if local else "$GAP * j"
    first = "0" if local else "$GAP * i"
    result = "best" if local else "prev[-1]"
    return Parts(
        f"Write a function alignment_score(a, b) that returns the {kind} of two sequences, scoring {match} "
        f"for a match, {mismatch} for a mismatch and {gap} for each gap position (a linear gap penalty).",
        code(
            "def alignment_score(a, b):\n"
            f"    prev = [{edge} for j in range(len(b) + 1)]\n"
            "    best = 0\n"
            "    for i in range(1, len(a) + 1):\n"
            f"        cur = [{first}]\n"
            "        for j in range(1, len(b) + 1):\n"
            "            s = $MATCH if a[i - 1] == b[j - 1] else $MISMATCH\n"
            f"            cur.append(max({floor}prev[j - 1] + s, prev[j] + $GAP, cur[j - 1] + $GAP))\n"
            "            best = max(best, cur[j])\n"
            "        prev = cur\n"
            f"    return {result}\n",
            MATCH=match,
            MISMATCH=mismatch,
            GAP=gap,
        ),
        "core = random_sequence(12)\n"
        "for n, m in ((6, 9), (20, 14), (31, 35)):\n"
        "    print(alignment_score(random_sequence(n) + core, core + random_sequence(m)))",
    )


_KD = """
KYTE_DOOLITTLE = {"A": 1.8, "R": -4.5, "N": -3.5, "D": -3.5, "C": 2.5, "Q": -3.5, "E": -3.5, "G": -0.4,
                  "H": -3.2, "I": 4.5, "L": 3.8, "K": -3.9, "M": 1.9, "F": 2.8, "P": -1.6, "S": -0.8,
                  "T": -0.7, "W": -0.9, "Y": -1.3, "V": 4.2}
"""


def _hydropathy(p: Params) -> Parts:
    w, step, d, best = p["w"], p["step"], p["d"], p["best"]
    if best:
        goal = (
            "the 1-based start position of the window with the highest mean (the first such window on a tie; "
            "None when the protein is shorter than a window)"
        )
        tail = "    if not means:\n        return None\n    return starts[means.index(max(means))] + 1\n"
    else:
        goal = f"the list of window means, each rounded to {d} decimals"
        tail = "    return [round(v, $D) for v in means]\n"
    return Parts(
        f"Write a function hydropathy(protein) that averages the Kyte-Doolittle hydropathy values of the "
        f"module-level dict KYTE_DOOLITTLE over each full window of {w} residues of a protein sequence, "
        f"windows starting at position 0 and then every {step} residues, and returns {goal}.",
        code(
            "def hydropathy(protein):\n"
            "    values = [KYTE_DOOLITTLE[a] for a in protein]\n"
            "    starts = list(range(0, len(values) - $W + 1, $STEP))\n"
            "    means = [sum(values[i:i + $W]) / $W for i in starts]\n" + tail,
            W=w,
            STEP=step,
            D=d,
        ),
        code(
            "for n in ($SHORT, 40, 90):\n    print(hydropathy(random_sequence(n, 'ACDEFGHIKLMNPQRSTVWY')))",
            SHORT=w + 2,
        ),
        _KD,
    )


_MASS_TABLES = """
MONOISOTOPIC = {"A": 71.03711, "C": 103.00919, "D": 115.02694, "E": 129.04259, "F": 147.06841,
                "G": 57.02146, "H": 137.05891, "I": 113.08406, "K": 128.09496, "L": 113.08406,
                "M": 131.04049, "N": 114.04293, "P": 97.05276, "Q": 128.05858, "R": 156.10111,
                "S": 87.03203, "T": 101.04768, "V": 99.06841, "W": 186.07931, "Y": 163.06333}
AVERAGE = {"A": 71.0788, "C": 103.1388, "D": 115.0886, "E": 129.1155, "F": 147.1766, "G": 57.0519,
           "H": 137.1411, "I": 113.1594, "K": 128.1741, "L": 113.1594, "M": 131.1926, "N": 114.1038,
           "P": 97.1167, "Q": 128.1307, "R": 156.1875, "S": 87.0782, "T": 101.1051, "V": 99.1326,
           "W": 186.2132, "Y": 163.1760}
"""
_WATER = {"MONOISOTOPIC": 18.010565, "AVERAGE": 18.01528}


def _mz(p: Params) -> Parts:
    table, z, d, cam = p["table"], p["z"], p["d"], p["cam"]
    water = _WATER[table]
    mod = " Every cysteine carries carbamidomethylation (+57.02146)." if cam else ""
    add = "    mass += 57.02146 * peptide.count('C')\n" if cam else ""
    if z:
        goal = f"its m/z at charge {z}+: (M + {z} * 1.007276) / {z}"
        final = "    return round((mass + $Z * 1.007276) / $Z, $D)\n"
    else:
        goal = "its neutral mass M"
        final = "    return round(mass, $D)\n"
    return Parts(
        f"Write a function peptide_mz(peptide) that computes the mass M of a peptide as the sum of its residue "
        f"masses from the module-level dict {table} plus one water ({water}).{mod} It returns {goal}, rounded "
        f"to {d} decimals.",
        code(
            "def peptide_mz(peptide):\n    mass = sum($TABLE[a] for a in peptide) + $WATER\n",
            WATER=water,
        ).replace("$TABLE", table)
        + add
        + code(final, Z=z, D=d),
        "for n in (1, 7, 15, 33):\n    print(peptide_mz(random_sequence(n, 'ACDEFGHIKLMNPQRSTVWYC')))",
        _MASS_TABLES,
    )


_BASE_SETS = {"any": "ACGT", "A": "A", "C": "C", "G": "G", "T": "T", "A or T": "AT", "G or C": "GC"}


def _homopolymers(p: Params) -> Parts:
    length, bases, base = p["length"], p["bases"], p["base"]
    allowed = _BASE_SETS[bases]
    which = "of any base" if bases == "any" else f"of {bases}"
    return Parts(
        f"Write a function homopolymers(seq) that returns the maximal runs of one repeated base {which} at "
        f"least {length} bases long in an upper-case DNA sequence, as a list of ({base}-based start, base, "
        "length) tuples in order of position.",
        code(
            "def homopolymers(seq):\n"
            "    out = []\n"
            "    i = 0\n"
            "    while i < len(seq):\n"
            "        j = i\n"
            "        while j < len(seq) and seq[j] == seq[i]:\n"
            "            j += 1\n"
            "        if j - i >= $LENGTH and seq[i] in $ALLOWED:\n"
            "            out.append((i + $BASE, seq[i], j - i))\n"
            "        i = j\n"
            "    return out\n",
            LENGTH=length,
            ALLOWED=allowed,
            BASE=base,
        ),
        code(
            "for n in (60, 300):\n"
            "    s = ''.join(random.choice('ACGT') * random.randint(1, $TOP) for _ in range(n // 4))\n"
            "    print(homopolymers(s))",
            TOP=length + 3,
        ),
    )


def _tandem(p: Params) -> Parts:
    unit, copies, base = p["unit"], p["copies"], p["base"]
    return Parts(
        f"Write a function tandem_repeats(seq) that scans a DNA sequence from the left for tandem repeats of a "
        f"{unit}-base unit: at each position i the unit is seq[i:i + {unit}] and its copies are counted while "
        f"the next {unit} bases equal it; with at least {copies} copies, ({base}-based i, unit, copies) is "
        f"reported and the scan goes on after the last copy, else at i + 1. It stops when fewer than "
        f"{unit * copies} bases remain from i. Return the list of reports.",
        code(
            "def tandem_repeats(seq):\n"
            "    out = []\n"
            "    i = 0\n"
            "    while i + $SPAN <= len(seq):\n"
            "        unit = seq[i:i + $UNIT]\n"
            "        n = 1\n"
            "        while seq[i + n * $UNIT:i + (n + 1) * $UNIT] == unit:\n"
            "            n += 1\n"
            "        if n >= $COPIES:\n"
            "            out.append((i + $BASE, unit, n))\n"
            "            i += n * $UNIT\n"
            "        else:\n"
            "            i += 1\n"
            "    return out\n",
            SPAN=unit * copies,
            UNIT=unit,
            COPIES=copies,
            BASE=base,
        ),
        code(
            "for n in (8, 20):\n"
            "    s = ''.join(random_sequence(random.randint(0, 12)) + random_sequence($UNIT) * random.randint(1, $TOP)\n"
            "                for _ in range(n))\n"
            "    print(tandem_repeats(s))",
            UNIT=unit,
            TOP=copies + 2,
        ),
    )


def _cpg_islands(p: Params) -> Parts:
    w, gc, oe = p["w"], p["gc"], p["oe"]
    return Parts(
        f"Write a function cpg_windows(seq) that returns the 0-based starts of the CpG-island windows of an "
        f"upper-case DNA sequence: windows of {w} bases starting at 0 and every 10 bases (full windows only) "
        f"whose GC fraction is at least {gc} and whose CpG observed/expected ratio, count('CG') * {w} / "
        f"(count('C') * count('G')) within the window (0 when it has no C or no G), is at least {oe}.",
        code(
            "def cpg_windows(seq):\n"
            "    out = []\n"
            "    for i in range(0, len(seq) - $W + 1, 10):\n"
            "        win = seq[i:i + $W]\n"
            "        c, g = win.count('C'), win.count('G')\n"
            "        ratio = win.count('CG') * $W / (c * g) if c and g else 0\n"
            "        if (c + g) / $W >= $GC and ratio >= $OE:\n"
            "            out.append(i)\n"
            "    return out\n",
            W=w,
            GC=gc,
            OE=oe,
        ),
        "for _ in range(3):\n"
        "    s = random_sequence(200, 'ACGTA') + random_sequence(300, 'CGCGA') + random_sequence(200, 'ACGTT')\n"
        "    print(cpg_windows(s))",
    )


def _consensus(p: Params) -> Parts:
    order, cutoff = p["order"], p["cutoff"]
    rule = (
        f"; a column whose most frequent base makes up less than {cutoff} of the column gets 'N'"
        if cutoff
        else ""
    )
    check = "        if column.count(top) / len(column) < $CUTOFF:\n            top = 'N'\n" if cutoff else ""
    return Parts(
        f"Write a function consensus(seqs) that returns the consensus of equal-length aligned DNA sequences: "
        f"per column the most frequent base, ties going to the base earliest in the order {order}{rule}.",
        code(
            "def consensus(seqs):\n"
            "    out = []\n"
            "    for column in zip(*seqs):\n"
            "        top = max($ORDER, key=lambda b: (column.count(b), -$ORDER.index(b)))\n"
            + check
            + "        out.append(top)\n"
            "    return ''.join(out)\n",
            ORDER=order,
            CUTOFF=cutoff,
        ),
        "for rows, n in ((3, 20), (4, 40), (7, 30), (10, 25)):\n"
        "    print(consensus([random_sequence(n, 'ACGTA') for _ in range(rows)]))",
    )


_LOGS = {"2": "math.log2(p)", "e": "math.log(p)", "10": "math.log10(p)"}


def _entropy(p: Params) -> Parts:
    base, gaps, pseudo, d = p["base"], p["gaps"], p["pseudo"], p["d"]
    gap_rule = (
        "gaps ('-') are left out of a column" if gaps == "drop" else "a gap ('-') counts as a fifth symbol"
    )
    symbols = "ACGT" if gaps == "drop" else "ACGT-"
    return Parts(
        f"Write a function column_entropy(seqs) that returns the Shannon entropy (log base {base}) of each "
        f"column of equal-length aligned DNA sequences, rounded to {d} decimals: {gap_rule}; the probability "
        f"of each of the symbols {', '.join(symbols)} is (its count + {pseudo}) / (the column's counted symbols "
        f"+ {pseudo} * {len(symbols)}), symbols of probability 0 contributing nothing.",
        code(
            "def column_entropy(seqs):\n"
            "    out = []\n"
            "    for column in zip(*seqs):\n"
            "        kept = [s for s in column if s in $SYMBOLS]\n"
            "        total = len(kept) + $PSEUDO * $K\n"
            "        h = 0.0\n"
            "        for s in $SYMBOLS:\n"
            "            p = (kept.count(s) + $PSEUDO) / total if total else 0\n"
            "            if p > 0:\n"
            f"                h -= p * {_LOGS[base]}\n"
            "        out.append(round(h, $D))\n"
            "    return out\n",
            SYMBOLS=symbols,
            PSEUDO=pseudo,
            K=len(symbols),
            D=d,
        ),
        "for rows in (3, 6, 12):\n    print(column_entropy([random_sequence(15, 'ACGTA-') for _ in range(rows)]))",
    )


def _merge_intervals(p: Params) -> Parts:
    gap, closed, total = p["gap"], p["closed"], p["total"]
    kind = "closed [start, end] intervals" if closed else "half-open [start, end) intervals"
    size = "end - start + 1" if closed else "end - start"
    apart = "end + 1" if closed else "end"
    goal = f"the total length they cover ({size} per merged interval)" if total else "the merged intervals"
    covered = "e - s + 1" if closed else "e - s"
    result = f"    return sum({covered} for s, e in merged)\n" if total else "    return merged\n"
    return Parts(
        f"Write a function merge_intervals(intervals) that merges integer {kind}, given as (start, end) tuples "
        f"in any order: after sorting by start, an interval merges into the current one when its start is at "
        f"most {gap} past where the current one stops covering ({apart}). It returns {goal}"
        + ("" if total else ", as a sorted list of (start, end) tuples")
        + ".",
        "def merge_intervals(intervals):\n"
        "    merged = []\n"
        "    for s, e in sorted(intervals):\n"
        + code(
            f"        if merged and s - ({apart.replace('end', 'merged[-1][1]')}) <= $GAP:\n",
            GAP=gap,
        )
        + "            merged[-1] = (merged[-1][0], max(merged[-1][1], e))\n"
        "        else:\n"
        "            merged.append((s, e))\n" + result,
        "for n in (4, 12, 30):\n"
        "    starts = [random.randint(0, 400) for _ in range(n)]\n"
        "    print(merge_intervals([(s, s + random.randint(1, 40)) for s in starts]))",
    )


def _nx(p: Params) -> Parts:
    x, stat, floor = p["x"], p["stat"], p["floor"]
    keep = f"contigs of at least {floor} bases" if floor else "all contigs"
    what = "length of that contig (N" if stat == "N" else "number of contigs taken (L"
    return Parts(
        f"Write a function assembly_stat(lengths) that returns the {what}{x}) of an assembly given its contig "
        f"lengths: taking {keep} from longest to shortest, the first contig at which their running total "
        f"reaches {x}% of the kept contigs' total length. Return 0 when no contig is kept.",
        code(
            "def assembly_stat(lengths):\n"
            "    kept = sorted((n for n in lengths if n >= $FLOOR), reverse=True)\n"
            "    total, running = sum(kept), 0\n"
            "    for count, n in enumerate(kept, 1):\n"
            "        running += n\n"
            "        if running * 100 >= $X * total:\n"
            f"            return {'n' if stat == 'N' else 'count'}\n"
            "    return 0\n",
            FLOOR=floor,
            X=x,
        ),
        "for n in (5, 30, 200):\n"
        "    print(assembly_stat([int(random.expovariate(1 / 800)) + 50 for _ in range(n)]))\nprint(assembly_stat([]))",
    )


TEMPLATES = [
    Template(
        "gc_windows",
        {"w": range(4, 61), "step": (1, 2, 3, 4, 5, 8, 10), "d": (2, 3)},
        _gc_windows,
        lambda p: p["step"] <= p["w"],
    ),
    Template(
        "gc_skew_windows",
        {"w": range(5, 61), "step": (1, 2, 3, 5, 10), "d": (2, 3, 4)},
        _gc_skew,
        lambda p: p["step"] <= p["w"],
    ),
    Template(
        "top_kmers",
        {"k": range(1, 9), "m": range(1, 16), "canonical": (False, True), "skip_n": (False, True)},
        _top_kmers,
    ),
    Template(
        "translate_frame",
        {"frame": (0, 1, 2), "reverse": (False, True), "stop": tuple(_STOPS), "changes": _CHANGE_SETS},
        _translate,
    ),
    Template(
        "restriction_digest",
        {"enzymes": _DIGESTS, "circular": (False, True), "order": ("position", "size")},
        _digest,
    ),
    Template(
        "alignment_score",
        {
            "mode": ("global", "local"),
            "match": range(1, 6),
            "mismatch": range(-1, -7, -1),
            "gap": range(-1, -9, -1),
        },
        _alignment,
    ),
    Template(
        "hydropathy_windows",
        {"w": range(3, 26, 2), "step": (1, 2, 3), "d": (1, 2, 3), "best": (False, True)},
        _hydropathy,
        lambda p: not (p["best"] and p["d"] != 2),
    ),
    Template(
        "peptide_mz",
        {"table": ("MONOISOTOPIC", "AVERAGE"), "z": range(0, 10), "d": (2, 3, 4), "cam": (False, True)},
        _mz,
    ),
    Template(
        "homopolymer_runs",
        {"length": range(2, 17), "bases": tuple(_BASE_SETS), "base": (0, 1)},
        _homopolymers,
    ),
    Template("tandem_repeats", {"unit": range(1, 9), "copies": range(2, 11), "base": (0, 1)}, _tandem),
    Template(
        "cpg_island_windows",
        {"w": range(50, 201, 10), "gc": (0.5, 0.55, 0.6), "oe": (0.6, 0.65, 0.7)},
        _cpg_islands,
    ),
    Template(
        "consensus",
        {
            "order": ["".join(o) for o in itertools.permutations("ACGT")],
            "cutoff": (0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9),
        },
        _consensus,
    ),
    Template(
        "column_entropy",
        {"base": tuple(_LOGS), "gaps": ("drop", "symbol"), "pseudo": (0, 0.5, 1), "d": (1, 2, 3, 4)},
        _entropy,
    ),
    Template(
        "merge_intervals",
        {"gap": range(0, 41), "closed": (False, True), "total": (False, True)},
        _merge_intervals,
    ),
    Template(
        "assembly_nx",
        {"x": range(10, 91, 5), "stat": ("N", "L"), "floor": (0, 100, 200, 500, 1000)},
        _nx,
    ),
]
