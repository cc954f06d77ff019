"""BioCoder templates over reads and files' text: quality encodings, trimming, FASTQ/FASTA/VCF text,
coverage and melting temperature (see ``templates_sequence.py`` for what every template guarantees)."""

from __future__ import annotations

from .template import Params, Parts, Template, code

__all__ = ["TEMPLATES"]

_QUALITIES = (
    "def random_quality(n, offset):\n"
    "    return ''.join(chr(offset + random.choice([2, 8, 12, 18, 22, 25, 28, 30, 33, 35, 38, 40])) for _ in range(n))\n"
)
_STATS = {
    "mean": ("the mean quality", "    return round(sum(scores) / len(scores), $D)\n"),
    "median": (
        "the median quality (the mean of the two middle scores for an even count)",
        "    s = sorted(scores)\n    mid = len(s) // 2\n"
        "    return round(s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2, $D)\n",
    ),
    **{
        f"share>={t}": (
            f"the fraction of bases with quality at least {t}",
            f"    return round(sum(q >= {t} for q in scores) / len(scores), $D)\n",
        )
        for t in range(10, 41, 5)
    },
    **{
        f"count<{t}": (
            f"the number of bases with quality below {t}",
            f"    return sum(q < {t} for q in scores)\n",
        )
        for t in range(10, 41, 5)
    },
}


def _phred(p: Params) -> Parts:
    offset, stat, d = p["offset"], p["stat"], p["d"]
    what, tail = _STATS[stat]
    rounding = f", rounded to {d} decimals" if "count" not in stat else ""
    return Parts(
        f"Write a function quality_stat(qual) that decodes a FASTQ quality string in Phred+{offset} encoding "
        f"(quality = ord(character) - {offset}) and returns {what}{rounding}; None for an empty string.",
        code(
            "def quality_stat(qual):\n    if not qual:\n        return None\n"
            "    scores = [ord(c) - $OFFSET for c in qual]\n",
            OFFSET=offset,
        )
        + code(tail, D=d),
        code(
            "for n in (1, 10, 51, 150):\n    print(quality_stat(random_quality(n, $OFFSET)))", OFFSET=offset
        ),
        _QUALITIES,
    )


def _end_trim(p: Params) -> Parts:
    offset, threshold, ends = p["offset"], p["threshold"], p["ends"]
    where = {"3'": "from its 3' end", "5'": "from its 5' end", "both": "from both ends"}[ends]
    body = "    start, end = 0, len(seq)\n"
    if ends in ("5'", "both"):
        body += "    while start < end and ord(qual[start]) - $OFFSET < $T:\n        start += 1\n"
    if ends in ("3'", "both"):
        body += "    while end > start and ord(qual[end - 1]) - $OFFSET < $T:\n        end -= 1\n"
    return Parts(
        f"Write a function end_trim(seq, qual) that trims a read {where}: bases whose Phred+{offset} quality "
        f"(ord(character) - {offset}) is below {threshold} are removed one by one until a base of quality "
        f"{threshold} or more is reached. It returns the trimmed (seq, qual) tuple.",
        code(
            "def end_trim(seq, qual):\n" + body + "    return seq[start:end], qual[start:end]\n",
            OFFSET=offset,
            T=threshold,
        ),
        code(
            "for n in (5, 20, 60):\n    s = random_sequence(n)\n    print(end_trim(s, random_quality(n, $OFFSET)))",
            OFFSET=offset,
        ),
        _QUALITIES,
    )


def _window_trim(p: Params) -> Parts:
    offset, w, q = p["offset"], p["w"], p["q"]
    return Parts(
        f"Write a function window_trim(seq, qual) that trims a read as Trimmomatic's SLIDINGWINDOW:{w}:{q} "
        f"does: scanning windows of {w} bases from the 5' end one base at a time, the read is cut at the start "
        f"of the first window whose mean Phred+{offset} quality (ord(character) - {offset}) is below {q}; "
        "with no such window (or a read shorter than one window) it is kept whole. Return the kept (seq, qual).",
        code(
            "def window_trim(seq, qual):\n"
            "    scores = [ord(c) - $OFFSET for c in qual]\n"
            "    for i in range(len(scores) - $W + 1):\n"
            "        if sum(scores[i:i + $W]) < $Q * $W:\n"
            "            return seq[:i], qual[:i]\n"
            "    return seq, qual\n",
            OFFSET=offset,
            W=w,
            Q=q,
        ),
        code(
            "for n in (8, 30, 75, 120):\n    s = random_sequence(n)\n    print(window_trim(s, random_quality(n, $OFFSET)))",
            OFFSET=offset,
        ),
        _QUALITIES,
    )


def _fastq_filter(p: Params) -> Parts:
    offset, q, floor = p["offset"], p["q"], p["floor"]
    return Parts(
        f"Write a function passing_reads(text) that parses FASTQ text (four lines per record: '@' and the read "
        f"id, the sequence, '+', the qualities in Phred+{offset}) and returns the ids, in file order, of the reads "
        f"at least {floor} bases long whose mean quality is at least {q}.",
        code(
            "def passing_reads(text):\n"
            "    lines = text.strip().split('\\n')\n"
            "    out = []\n"
            "    for i in range(0, len(lines) - 3, 4):\n"
            "        name, seq, qual = lines[i][1:], lines[i + 1], lines[i + 3]\n"
            "        scores = [ord(c) - $OFFSET for c in qual]\n"
            "        if len(seq) >= $FLOOR and scores and sum(scores) >= $Q * len(scores):\n"
            "            out.append(name)\n"
            "    return out\n",
            OFFSET=offset,
            Q=q,
            FLOOR=floor,
        ),
        code(
            "for reads in (3, 12, 40):\n"
            "    records = []\n"
            "    for r in range(reads):\n"
            "        n = random.randint(5, 80)\n"
            "        records.append(f'@read{r}\\n{random_sequence(n)}\\n+\\n{random_quality(n, $OFFSET)}')\n"
            "    print(passing_reads('\\n'.join(records) + '\\n'))",
            OFFSET=offset,
        ),
        _QUALITIES,
    )


_CASES = {"upper": ".upper()", "lower": ".lower()", "as given": ""}


def _fasta_wrap(p: Params) -> Parts:
    width, case = p["width"], p["case"]
    return Parts(
        f"Write a function to_fasta(records) that writes (identifier, sequence) tuples as FASTA text: per "
        f"record a header line '>' + identifier, then the sequence ({case} case) in lines of {width} "
        "characters (the last one shorter); every line ends with a newline. Return the text.",
        code(
            "def to_fasta(records):\n"
            "    out = []\n"
            "    for name, seq in records:\n"
            f"        seq = seq{_CASES[case]}\n"
            "        out.append('>' + name + '\\n')\n"
            "        for i in range(0, len(seq), $WIDTH):\n"
            "            out.append(seq[i:i + $WIDTH] + '\\n')\n"
            "    return ''.join(out)\n",
            WIDTH=width,
        ),
        "for n in (1, 3):\n"
        "    recs = [(f'seq{i}', random_sequence(random.randint(5, 200), 'ACGTacgt')) for i in range(n)]\n"
        "    print(to_fasta(recs))",
    )


_HEADER_IDS = {
    "the header's first word": "header.split()[0] if header.split() else ''",
    "the whole header": "header",
    "the header's first '|'-separated field": "header.split('|')[0]",
    "the header's second '|'-separated field (the whole header when it has no '|')": (
        "header.split('|')[1] if '|' in header else header"
    ),
}
_ORDERS = {
    "in file order": "",
    "sorted by identifier": "    out.sort()\n",
    "sorted by length, longest first, then by identifier": "    out.sort(key=lambda r: (-r[1], r[0]))\n",
}


def _fasta_lengths(p: Params) -> Parts:
    rule, order, floor = p["rule"], p["order"], p["floor"]
    return Parts(
        f"Write a function fasta_lengths(text) that parses FASTA text (a '>' header line, then sequence lines "
        f"to join) and returns (identifier, length) tuples for the records at least {floor} bases long, "
        f"{order}; the identifier is {rule} (the text after '>').",
        "def fasta_lengths(text):\n"
        "    records = []\n"
        "    for line in text.splitlines():\n"
        "        if line.startswith('>'):\n"
        "            records.append([line[1:], 0])\n"
        "        elif records:\n"
        "            records[-1][1] += len(line.strip())\n"
        "    out = []\n"
        "    for header, length in records:\n"
        + code("        if length >= $FLOOR:\n", FLOOR=floor)
        + f"            out.append(({_HEADER_IDS[rule]}, length))\n"
        + _ORDERS[order]
        + "    return out\n",
        "for n in (2, 6, 15):\n"
        "    parts = []\n"
        "    for i in range(n):\n"
        "        head = random.choice([f'id{i} sample', f'sp|P{i:05d}|NAME', f'chr{i}', f'x{i}|y desc'])\n"
        "        seq = random_sequence(random.randint(1, 300))\n"
        "        parts.append('>' + head + '\\n' + '\\n'.join(seq[j:j + 60] for j in range(0, len(seq), 60)))\n"
        "    print(fasta_lengths('\\n'.join(parts) + '\\n'))",
    )


_COVERAGE = {
    "mean": ("the mean depth, rounded to 2 decimals", "round(sum(depth[a:b]) / (b - a), 2)"),
    "max": ("the maximum depth", "max(depth[a:b])"),
    **{
        f">={c}": (f"the number of positions with depth at least {c}", f"sum(x >= {c} for x in depth[a:b])")
        for c in range(1, 6)
    },
}


def _coverage(p: Params) -> Parts:
    size, stat = p["size"], p["stat"]
    what, expr = _COVERAGE[stat]
    return Parts(
        f"Write a function binned_coverage(reads, length) that computes the read depth at each 0-based position "
        f"of a reference of the given length (a read is a (start, read_length) tuple covering start to "
        f"start + read_length - 1, cut off at the reference's end) and returns, for each bin of {size} "
        f"positions from 0 (the last bin may be shorter), {what}, as a list.",
        "def binned_coverage(reads, length):\n"
        "    depth = [0] * length\n"
        "    for start, n in reads:\n"
        "        for i in range(max(start, 0), min(start + n, length)):\n"
        "            depth[i] += 1\n"
        + code(
            "    return ["
            + expr
            + " for a, b in ((a, min(a + $SIZE, length)) for a in range(0, length, $SIZE))]\n",
            SIZE=size,
        ),
        "for reads, length in ((5, 120), (40, 333), (120, 700)):\n"
        "    print(binned_coverage([(random.randint(0, length), random.randint(20, 100)) for _ in range(reads)], length))",
    )


_VARIANT_OUT = {
    "counts": (
        "a (transitions, transversions, indels) tuple of counts",
        "    return ti, tv, indel\n",
    ),
    "ratio": (
        "the transition/transversion ratio rounded to 3 decimals (None without transversions)",
        ("    return round(ti / tv, 3) if tv else None\n"),
    ),
    "share": (
        "the share of kept records that are indels, rounded to 3 decimals (None when none is kept)",
        ("    kept = ti + tv + indel\n    return round(indel / kept, 3) if kept else None\n"),
    ),
}


def _variants(p: Params) -> Parts:
    qual, passing, out = p["qual"], p["passing"], p["out"]
    what, tail = _VARIANT_OUT[out]
    keep = "whose FILTER is PASS and " if passing else ""
    cond = "fields[6] == 'PASS' and " if passing else ""
    return Parts(
        f"Write a function classify_variants(text) that reads VCF text (tab-separated CHROM, POS, ID, REF, ALT, "
        f"QUAL, FILTER; lines starting with '#' are headers) and, over the records {keep}with QUAL at least "
        f"{qual} (QUAL '.' never qualifies), classifies each by its first ALT allele: an indel when REF or ALT "
        "is longer than one base, else a transition (A<->G, C<->T) or a transversion. It returns "
        + what
        + ".",
        "def classify_variants(text):\n"
        "    ti = tv = indel = 0\n"
        "    for line in text.splitlines():\n"
        "        if not line or line.startswith('#'):\n"
        "            continue\n"
        "        fields = line.split('\\t')\n"
        "        ref, alt = fields[3], fields[4].split(',')[0]\n"
        + code(f"        if not ({cond}fields[5] != '.' and float(fields[5]) >= $QUAL):\n", QUAL=qual)
        + "            continue\n"
        "        if len(ref) > 1 or len(alt) > 1:\n"
        "            indel += 1\n"
        "        elif {ref, alt} in ({'A', 'G'}, {'C', 'T'}):\n"
        "            ti += 1\n"
        "        else:\n"
        "            tv += 1\n" + tail,
        "for n in (5, 30, 100):\n"
        "    lines = ['##fileformat=VCFv4.2', '#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER']\n"
        "    for i in range(n):\n"
        "        ref = random.choice('ACGT') if random.random() < 0.8 else random_sequence(3)\n"
        "        alt = random.choice('ACGT') if random.random() < 0.8 else random_sequence(2)\n"
        "        if random.random() < 0.2:\n"
        "            alt += ',' + random.choice('ACGT')\n"
        "        qual = random.choice(['.', str(random.randint(0, 99)), f'{random.uniform(0, 99):.1f}'])\n"
        "        filt = random.choice(['PASS', 'PASS', 'LowQual', '.'])\n"
        "        lines.append('\\t'.join(['chr1', str(100 + i), '.', ref, alt, qual, filt]))\n"
        "    print(classify_variants('\\n'.join(lines)))",
    )


def _melting(p: Params) -> Parts:
    sodium, short, d = p["sodium"], p["short"], p["d"]
    wallace = (
        f"primers shorter than {short} bases use the Wallace rule 2 * (A + T) + 4 * (G + C); longer ones "
        if short
        else "every primer uses "
    )
    branch = "    if n < $SHORT:\n        return round(2 * (n - gc) + 4 * gc, $D)\n" if short else ""
    return Parts(
        f"Write a function melting_temperature(primer) that returns a DNA primer's melting temperature in "
        f"degrees Celsius, rounded to {d} decimals: {wallace}the salt-adjusted formula 81.5 + 16.6 * "
        f"log10({sodium} / 1000) + 0.41 * GC% - 600 / length, with GC% the percentage of G and C (upper-case "
        "primer).",
        "def melting_temperature(primer):\n"
        "    n = len(primer)\n"
        "    gc = primer.count('G') + primer.count('C')\n"
        + code(branch, SHORT=short, D=d)
        + code(
            "    return round(81.5 + 16.6 * math.log10($NA / 1000) + 0.41 * 100 * gc / n - 600 / n, $D)\n",
            NA=sodium,
            D=d,
        ),
        "for n in (8, 12, 14, 18, 25, 40):\n    print(melting_temperature(random_sequence(n)))",
    )


TEMPLATES = [
    Template(
        "quality_stat",
        {"offset": (33, 64), "stat": tuple(_STATS), "d": (1, 2, 3, 4)},
        _phred,
        lambda p: not ("count" in p["stat"] and p["d"] != 1),
    ),
    Template(
        "quality_end_trim",
        {"offset": (33, 64), "threshold": range(2, 42), "ends": ("3'", "5'", "both")},
        _end_trim,
    ),
    Template("sliding_window_trim", {"offset": (33, 64), "w": range(2, 13), "q": range(5, 41)}, _window_trim),
    Template(
        "fastq_filter", {"offset": (33, 64), "q": range(15, 36), "floor": (0, 20, 30, 40, 50)}, _fastq_filter
    ),
    Template("fasta_wrap", {"width": range(10, 81), "case": tuple(_CASES)}, _fasta_wrap),
    Template(
        "fasta_lengths",
        {"rule": tuple(_HEADER_IDS), "order": tuple(_ORDERS), "floor": range(0, 201, 25)},
        _fasta_lengths,
    ),
    Template("binned_coverage", {"size": range(10, 151, 5), "stat": tuple(_COVERAGE)}, _coverage),
    Template(
        "variant_classes",
        {"qual": range(0, 96, 5), "passing": (False, True), "out": tuple(_VARIANT_OUT)},
        _variants,
    ),
    Template(
        "melting_temperature",
        {"sodium": (10, 20, 50, 100, 150, 200, 500, 1000), "short": (0, 13, 14, 15, 20), "d": (1, 2, 3)},
        _melting,
    ),
]
