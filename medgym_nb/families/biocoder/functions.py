"""The functions of BioCoder's built-in suite (see ``biocoder_suite.py``): problem, reference, hidden ``main``."""

from __future__ import annotations

from .suite import SuiteFunction

__all__ = ["SUITE"]

_CODONS = """
BASES = "UCAG"
AMINO = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE = {a + b + c: AMINO[16 * i + 4 * j + k]
               for i, a in enumerate(BASES) for j, b in enumerate(BASES) for k, c in enumerate(BASES)}
"""
_MASSES = """
MONOISOTOPIC = {"A": 71.03711, "C": 103.00919, "D": 115.02694, "E": 129.04259, "F": 147.06841,
                "G": 57.02146, "H": 137.05891, "I": 113.08406, "K": 128.09496, "L": 113.08406,
                "M": 131.04049, "N": 114.04293, "P": 97.05276, "Q": 128.05858, "R": 156.10111,
                "S": 87.03203, "T": 101.04768, "V": 99.06841, "W": 186.07931, "Y": 163.06333}
"""
_INTERVALS = """
starts = sorted(random.sample(range(0, 500), 12))
intervals = [(s, s + random.randint(1, 60)) for s in starts]
random.shuffle(intervals)
"""

SEQUENCE = [
    SuiteFunction(
        "sequence",
        "Write a function reverse_complement(seq) that returns the reverse complement of a DNA sequence. "
        "It keeps the case of each base (A<->T, C<->G, a<->t, c<->g) and leaves N/n unchanged.",
        "def reverse_complement(seq):\n"
        "    table = str.maketrans('ACGTNacgtn', 'TGCANtgcan')\n"
        "    return seq.translate(table)[::-1]\n",
        "for n in (5, 12, 30):\n    s = random_sequence(n, 'ACGTNacgt')\n    print(s, reverse_complement(s))",
    ),
    SuiteFunction(
        "sequence",
        "Write a function transcribe(dna) that returns the RNA transcript of a DNA coding strand: every T "
        "becomes U (upper case input).",
        "def transcribe(dna):\n    return dna.replace('T', 'U')\n",
        "for n in (8, 20, 41):\n    print(transcribe(random_sequence(n)))",
    ),
    SuiteFunction(
        "sequence",
        "Write a function translate_rna(rna) that translates an RNA sequence codon by codon with the standard "
        "genetic code in the module-level dict CODON_TABLE (codon -> one-letter amino acid, '*' for stop). "
        "Translation stops before the first stop codon; an incomplete final codon is ignored.",
        "def translate_rna(rna):\n"
        "    protein = []\n"
        "    for i in range(0, len(rna) - 2, 3):\n"
        "        amino = CODON_TABLE[rna[i:i + 3]]\n"
        "        if amino == '*':\n"
        "            break\n"
        "        protein.append(amino)\n"
        "    return ''.join(protein)\n",
        "for n in (9, 31, 61, 90):\n    print(translate_rna('AUG' + random_sequence(n, 'ACGU')))",
        helpers=_CODONS,
    ),
    SuiteFunction(
        "sequence",
        "Write a function motif_positions(seq, motif) that returns the 1-based start positions of every "
        "occurrence of motif in seq, overlapping occurrences included, as a list in increasing order.",
        "def motif_positions(seq, motif):\n"
        "    return [i + 1 for i in range(len(seq) - len(motif) + 1) if seq[i:i + len(motif)] == motif]\n",
        "s = random_sequence(300, 'AC')\nfor motif in ('ACA', 'AA', 'CCAC'):\n    print(motif, motif_positions(s, motif))",
    ),
    SuiteFunction(
        "sequence",
        "Write a function nucleotide_counts(seq) that returns a tuple with the number of A, C, G and T "
        "(in that order) in a DNA sequence, counting lower-case bases too.",
        "def nucleotide_counts(seq):\n    s = seq.upper()\n    return tuple(s.count(b) for b in 'ACGT')\n",
        "for n in (10, 100, 333):\n    print(nucleotide_counts(random_sequence(n, 'ACGTacgt')))",
    ),
    SuiteFunction(
        "sequence",
        "Write a function protein_mass(protein) that returns the monoisotopic mass of a protein string: the "
        "sum of the residue masses in the module-level dict MONOISOTOPIC, rounded to 3 decimals.",
        "def protein_mass(protein):\n    return round(sum(MONOISOTOPIC[a] for a in protein), 3)\n",
        "for n in (1, 15, 120):\n    print(protein_mass(random_sequence(n, 'ACDEFGHIKLMNPQRSTVWY')))",
        helpers=_MASSES,
    ),
    SuiteFunction(
        "sequence",
        "Write a function remove_introns(seq, introns) that returns seq with every intron removed: the "
        "introns are substrings, removed in the order given, each at its first occurrence only.",
        "def remove_introns(seq, introns):\n"
        "    for intron in introns:\n"
        "        i = seq.find(intron)\n"
        "        if i >= 0:\n"
        "            seq = seq[:i] + seq[i + len(intron):]\n"
        "    return seq\n",
        "for _ in range(3):\n"
        "    s = random_sequence(60)\n"
        "    introns = [s[10:16], s[30:34], 'GGGGGGGGGG']\n"
        "    print(remove_introns(s, introns))",
    ),
    SuiteFunction(
        "sequence",
        "Write a function longest_orf(dna) that returns the length in nucleotides (stop codon included) of the "
        "longest open reading frame on the given strand: an ATG followed, in frame, by the first of TAA, TAG "
        "or TGA. Return 0 when there is none.",
        "def longest_orf(dna):\n"
        "    best = 0\n"
        "    for i in range(len(dna) - 2):\n"
        "        if dna[i:i + 3] != 'ATG':\n"
        "            continue\n"
        "        for j in range(i + 3, len(dna) - 2, 3):\n"
        "            if dna[j:j + 3] in ('TAA', 'TAG', 'TGA'):\n"
        "                best = max(best, j + 3 - i)\n"
        "                break\n"
        "    return best\n",
        "for n in (50, 200, 400):\n    print(longest_orf(random_sequence(n)))\nprint(longest_orf('CCCCCC'))",
    ),
]

KMERS = [
    SuiteFunction(
        "kmers",
        "Write a function kmer_counts(seq, k) that returns a dict mapping every k-mer occurring in seq to its "
        "number of (overlapping) occurrences.",
        "def kmer_counts(seq, k):\n"
        "    counts = {}\n"
        "    for i in range(len(seq) - k + 1):\n"
        "        counts[seq[i:i + k]] = counts.get(seq[i:i + k], 0) + 1\n"
        "    return counts\n",
        "s = random_sequence(80)\nfor k in (1, 2, 3):\n    print(sorted(kmer_counts(s, k).items()))",
    ),
    SuiteFunction(
        "kmers",
        "Write a function most_frequent_kmers(seq, k) that returns the sorted list of the k-mers that occur most "
        "often in seq (overlapping occurrences count).",
        "def most_frequent_kmers(seq, k):\n"
        "    counts = {}\n"
        "    for i in range(len(seq) - k + 1):\n"
        "        counts[seq[i:i + k]] = counts.get(seq[i:i + k], 0) + 1\n"
        "    best = max(counts.values())\n"
        "    return sorted(kmer for kmer, n in counts.items() if n == best)\n",
        "for k in (2, 3, 4):\n    print(most_frequent_kmers(random_sequence(150), k))",
    ),
    SuiteFunction(
        "kmers",
        "Write a function canonical_kmer(kmer) that returns the lexicographically smaller of a DNA k-mer and "
        "its reverse complement.",
        "def canonical_kmer(kmer):\n"
        "    rc = kmer.translate(str.maketrans('ACGT', 'TGCA'))[::-1]\n"
        "    return min(kmer, rc)\n",
        "for n in (3, 5, 8, 11, 21):\n    k = random_sequence(n)\n    print(k, canonical_kmer(k))",
    ),
    SuiteFunction(
        "kmers",
        "Write a function minimizers(seq, k, w) that returns, for every window of w consecutive k-mers of seq, "
        "the lexicographically smallest k-mer in it, as a list with consecutive duplicates collapsed.",
        "def minimizers(seq, k, w):\n"
        "    kmers = [seq[i:i + k] for i in range(len(seq) - k + 1)]\n"
        "    out = []\n"
        "    for i in range(len(kmers) - w + 1):\n"
        "        m = min(kmers[i:i + w])\n"
        "        if not out or out[-1] != m:\n"
        "            out.append(m)\n"
        "    return out\n",
        "for k, w in ((3, 4), (5, 3), (4, 8)):\n    print(minimizers(random_sequence(60), k, w))",
    ),
    SuiteFunction(
        "kmers",
        "Write a function de_bruijn_edges(kmers) that returns the edges of the de Bruijn graph of a list of "
        "k-mers: for each k-mer a (prefix, suffix) pair of its (k-1)-mers, as a sorted list of distinct pairs.",
        "def de_bruijn_edges(kmers):\n    return sorted({(k[:-1], k[1:]) for k in kmers})\n",
        "s = random_sequence(40)\nprint(de_bruijn_edges([s[i:i + 4] for i in range(len(s) - 3)]))",
    ),
    SuiteFunction(
        "kmers",
        "Write a function kmer_distance(a, b, k) that returns the Jaccard distance between the sets of k-mers "
        "of two sequences (1 - |intersection| / |union|), rounded to 4 decimals.",
        "def kmer_distance(a, b, k):\n"
        "    sa = {a[i:i + k] for i in range(len(a) - k + 1)}\n"
        "    sb = {b[i:i + k] for i in range(len(b) - k + 1)}\n"
        "    return round(1 - len(sa & sb) / len(sa | sb), 4)\n",
        "a = random_sequence(100)\nb = a[:60] + random_sequence(40)\nfor k in (3, 5, 7):\n    print(kmer_distance(a, b, k))",
    ),
]

GC = [
    SuiteFunction(
        "gc_content",
        "Write a function gc_content(seq) that returns the percentage of G and C bases (either case) in a DNA "
        "sequence, rounded to 2 decimals; 0.0 for an empty sequence.",
        "def gc_content(seq):\n"
        "    if not seq:\n"
        "        return 0.0\n"
        "    s = seq.upper()\n"
        "    return round(100.0 * (s.count('G') + s.count('C')) / len(s), 2)\n",
        "for n in (0, 7, 100, 999):\n    print(gc_content(random_sequence(n, 'ACGTgc')))",
    ),
    SuiteFunction(
        "gc_content",
        "Write a function min_skew_positions(genome) that returns the positions i (0..len(genome)) where the "
        "cumulative GC skew (#G - #C over genome[:i]) is minimal, as an increasing list.",
        "def min_skew_positions(genome):\n"
        "    skew, values = 0, [0]\n"
        "    for base in genome:\n"
        "        skew += (base == 'G') - (base == 'C')\n"
        "        values.append(skew)\n"
        "    low = min(values)\n"
        "    return [i for i, v in enumerate(values) if v == low]\n",
        "for n in (20, 200, 1000):\n    print(min_skew_positions(random_sequence(n)))",
    ),
    SuiteFunction(
        "gc_content",
        "Write a function sliding_gc(seq, window, step) that returns the GC fraction (rounded to 3 decimals) "
        "of each full window of the given size, windows starting every step bases from 0.",
        "def sliding_gc(seq, window, step):\n"
        "    return [round(sum(b in 'GC' for b in seq[i:i + window]) / window, 3)\n"
        "            for i in range(0, len(seq) - window + 1, step)]\n",
        "s = random_sequence(120)\nprint(sliding_gc(s, 20, 10))\nprint(sliding_gc(s, 50, 7))",
    ),
    SuiteFunction(
        "gc_content",
        "Write a function cpg_ratio(seq) that returns the CpG observed/expected ratio of a DNA sequence: "
        "count('CG') * len(seq) / (count('C') * count('G')), rounded to 4 decimals, or 0.0 when there is no C "
        "or no G.",
        "def cpg_ratio(seq):\n"
        "    c, g = seq.count('C'), seq.count('G')\n"
        "    if c == 0 or g == 0:\n"
        "        return 0.0\n"
        "    return round(seq.count('CG') * len(seq) / (c * g), 4)\n",
        "for n in (30, 300):\n    print(cpg_ratio(random_sequence(n)))\nprint(cpg_ratio('AAAT'))",
    ),
]

ALIGNMENT = [
    SuiteFunction(
        "alignment",
        "Write a function hamming_distance(a, b) that returns the number of positions at which two sequences "
        "of equal length differ; raise ValueError if the lengths differ.",
        "def hamming_distance(a, b):\n"
        "    if len(a) != len(b):\n"
        "        raise ValueError('sequences differ in length')\n"
        "    return sum(x != y for x, y in zip(a, b))\n",
        "for n in (10, 50):\n"
        "    print(hamming_distance(random_sequence(n), random_sequence(n)))\n"
        "try:\n    hamming_distance('AC', 'A')\nexcept ValueError:\n    print('ValueError')",
    ),
    SuiteFunction(
        "alignment",
        "Write a function edit_distance(a, b) that returns the Levenshtein distance between two strings (unit "
        "cost insertions, deletions and substitutions).",
        "def edit_distance(a, b):\n"
        "    prev = list(range(len(b) + 1))\n"
        "    for i, x in enumerate(a, 1):\n"
        "        cur = [i]\n"
        "        for j, y in enumerate(b, 1):\n"
        "            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))\n"
        "        prev = cur\n"
        "    return prev[-1]\n",
        "for n, m in ((5, 7), (20, 18), (40, 40)):\n    print(edit_distance(random_sequence(n), random_sequence(m)))",
    ),
    SuiteFunction(
        "alignment",
        "Write a function global_alignment_score(a, b, match, mismatch, gap) that returns the optimal "
        "Needleman-Wunsch global alignment score with a linear gap penalty (gap is negative, added per gap "
        "position).",
        "def global_alignment_score(a, b, match, mismatch, gap):\n"
        "    prev = [j * gap for j in range(len(b) + 1)]\n"
        "    for i in range(1, len(a) + 1):\n"
        "        cur = [i * gap]\n"
        "        for j in range(1, len(b) + 1):\n"
        "            s = match if a[i - 1] == b[j - 1] else mismatch\n"
        "            cur.append(max(prev[j - 1] + s, prev[j] + gap, cur[j - 1] + gap))\n"
        "        prev = cur\n"
        "    return prev[-1]\n",
        "for n, m in ((8, 10), (25, 30), (40, 33)):\n"
        "    print(global_alignment_score(random_sequence(n), random_sequence(m), 1, -1, -2))",
    ),
    SuiteFunction(
        "alignment",
        "Write a function local_alignment_score(a, b, match, mismatch, gap) that returns the optimal "
        "Smith-Waterman local alignment score with a linear gap penalty (scores never drop below 0).",
        "def local_alignment_score(a, b, match, mismatch, gap):\n"
        "    best = 0\n"
        "    prev = [0] * (len(b) + 1)\n"
        "    for i in range(1, len(a) + 1):\n"
        "        cur = [0]\n"
        "        for j in range(1, len(b) + 1):\n"
        "            s = match if a[i - 1] == b[j - 1] else mismatch\n"
        "            cur.append(max(0, prev[j - 1] + s, prev[j] + gap, cur[j - 1] + gap))\n"
        "            best = max(best, cur[j])\n"
        "        prev = cur\n"
        "    return best\n",
        "core = random_sequence(15)\n"
        "for n in (10, 30):\n"
        "    print(local_alignment_score(random_sequence(n) + core, core + random_sequence(n), 2, -1, -2))",
    ),
    SuiteFunction(
        "alignment",
        "Write a function percent_identity(aligned_a, aligned_b) that returns the percentage of identical "
        "residues over the alignment columns where neither sequence has a gap ('-'), rounded to 2 decimals.",
        "def percent_identity(aligned_a, aligned_b):\n"
        "    cols = [(x, y) for x, y in zip(aligned_a, aligned_b) if x != '-' and y != '-']\n"
        "    if not cols:\n"
        "        return 0.0\n"
        "    return round(100.0 * sum(x == y for x, y in cols) / len(cols), 2)\n",
        "for n in (12, 60):\n    print(percent_identity(random_sequence(n, 'ACGT-'), random_sequence(n, 'ACGT-')))",
    ),
    SuiteFunction(
        "alignment",
        "Write a function ti_tv_ratio(a, b) that returns the transition/transversion ratio between two aligned "
        "DNA sequences of equal length (transitions: A<->G, C<->T), rounded to 4 decimals; 0.0 when there is "
        "no transversion.",
        "def ti_tv_ratio(a, b):\n"
        "    purines = set('AG')\n"
        "    ti = tv = 0\n"
        "    for x, y in zip(a, b):\n"
        "        if x == y:\n"
        "            continue\n"
        "        if (x in purines) == (y in purines):\n"
        "            ti += 1\n"
        "        else:\n"
        "            tv += 1\n"
        "    return round(ti / tv, 4) if tv else 0.0\n",
        "for n in (30, 300):\n    print(ti_tv_ratio(random_sequence(n), random_sequence(n)))",
    ),
]

PARSING = [
    SuiteFunction(
        "parsing",
        "Write a function read_fasta(path) that reads a FASTA file and returns a list of (identifier, "
        "sequence) tuples in file order: the identifier is the header's first word without '>', the sequence "
        "its lines joined.",
        "def read_fasta(path):\n"
        "    records = []\n"
        "    with open(path) as handle:\n"
        "        for line in handle:\n"
        "            line = line.strip()\n"
        "            if line.startswith('>'):\n"
        "                records.append([line[1:].split()[0], ''])\n"
        "            elif line:\n"
        "                records[-1][1] += line\n"
        "    return [tuple(r) for r in records]\n",
        "with open('reads.fa', 'w') as f:\n"
        "    for i in range(4):\n"
        "        s = random_sequence(random.randint(10, 130))\n"
        "        f.write(f'>seq{i} sample=x{i}\\n')\n"
        "        for j in range(0, len(s), 60):\n"
        "            f.write(s[j:j + 60] + '\\n')\n"
        "print(read_fasta('reads.fa'))",
    ),
    SuiteFunction(
        "parsing",
        "Write a function fastq_mean_qualities(path) that reads a FASTQ file (4 lines per record, Phred+33 "
        "qualities) and returns a dict mapping each read id (header without '@', first word) to its mean "
        "quality, rounded to 2 decimals.",
        "def fastq_mean_qualities(path):\n"
        "    out = {}\n"
        "    with open(path) as handle:\n"
        "        lines = [line.rstrip('\\n') for line in handle]\n"
        "    for i in range(0, len(lines) - 3, 4):\n"
        "        quals = [ord(c) - 33 for c in lines[i + 3]]\n"
        "        out[lines[i][1:].split()[0]] = round(sum(quals) / len(quals), 2)\n"
        "    return out\n",
        "with open('reads.fq', 'w') as f:\n"
        "    for i in range(5):\n"
        "        n = random.randint(5, 40)\n"
        "        q = ''.join(chr(33 + random.randint(2, 40)) for _ in range(n))\n"
        "        f.write(f'@read{i} lane=1\\n{random_sequence(n)}\\n+\\n{q}\\n')\n"
        "print(sorted(fastq_mean_qualities('reads.fq').items()))",
    ),
    SuiteFunction(
        "parsing",
        "Write a function count_variant_types(path) that reads a VCF file (lines starting with '#' are headers) "
        "and returns a dict with the counts of 'SNV' (REF and every ALT allele of length 1), 'INS' (one ALT, "
        "longer than REF), 'DEL' (one ALT, shorter than REF) and 'OTHER' records; ALT alleles are "
        "comma-separated. All four keys are present.",
        "def count_variant_types(path):\n"
        "    counts = {'SNV': 0, 'INS': 0, 'DEL': 0, 'OTHER': 0}\n"
        "    with open(path) as handle:\n"
        "        for line in handle:\n"
        "            if line.startswith('#') or not line.strip():\n"
        "                continue\n"
        "            ref, alts = line.split('\\t')[3], line.split('\\t')[4].split(',')\n"
        "            if len(ref) == 1 and all(len(a) == 1 for a in alts):\n"
        "                counts['SNV'] += 1\n"
        "            elif len(alts) == 1 and len(alts[0]) > len(ref):\n"
        "                counts['INS'] += 1\n"
        "            elif len(alts) == 1 and len(alts[0]) < len(ref):\n"
        "                counts['DEL'] += 1\n"
        "            else:\n"
        "                counts['OTHER'] += 1\n"
        "    return counts\n",
        "with open('calls.vcf', 'w') as f:\n"
        "    f.write('##fileformat=VCFv4.2\\n#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\n')\n"
        "    for i in range(40):\n"
        "        ref = random_sequence(random.choice((1, 1, 2, 4)))\n"
        "        alt = ','.join(random_sequence(random.choice((1, 1, 3))) for _ in range(random.choice((1, 1, 2))))\n"
        "        f.write(f'chr1\\t{100 + i}\\t.\\t{ref}\\t{alt}\\t50\\tPASS\\t.\\n')\n"
        "print(sorted(count_variant_types('calls.vcf').items()))",
    ),
    SuiteFunction(
        "parsing",
        "Write a function mapped_read_names(path) that reads a SAM file and returns the sorted list of the "
        "names (QNAME) of reads that are mapped (FLAG bit 0x4 unset) with mapping quality (MAPQ) at least 30; "
        "header lines start with '@'.",
        "def mapped_read_names(path):\n"
        "    names = []\n"
        "    with open(path) as handle:\n"
        "        for line in handle:\n"
        "            if line.startswith('@'):\n"
        "                continue\n"
        "            fields = line.split('\\t')\n"
        "            if not int(fields[1]) & 4 and int(fields[4]) >= 30:\n"
        "                names.append(fields[0])\n"
        "    return sorted(names)\n",
        "with open('aln.sam', 'w') as f:\n"
        "    f.write('@HD\\tVN:1.6\\n@SQ\\tSN:chr1\\tLN:1000\\n')\n"
        "    for i in range(25):\n"
        "        flag = random.choice((0, 4, 16, 20, 256))\n"
        "        s = random_sequence(10)\n"
        "        f.write(f'r{i:02d}\\t{flag}\\tchr1\\t{i * 7 + 1}\\t{random.randint(0, 60)}\\t10M\\t*\\t0\\t0\\t{s}\\t*\\n')\n"
        "print(mapped_read_names('aln.sam'))",
    ),
    SuiteFunction(
        "parsing",
        "Write a function parse_cigar(cigar) that splits a SAM CIGAR string into a list of (length, operation) "
        "tuples, lengths as integers; '*' gives an empty list.",
        "def parse_cigar(cigar):\n"
        "    import re\n"
        "    if cigar == '*':\n"
        "        return []\n"
        "    return [(int(n), op) for n, op in re.findall(r'(\\d+)([MIDNSHP=X])', cigar)]\n",
        "for _ in range(4):\n"
        "    print(parse_cigar(''.join(f'{random.randint(1, 99)}{random.choice(\"MIDNSH=X\")}' for _ in range(4))))\n"
        "print(parse_cigar('*'))",
    ),
    SuiteFunction(
        "parsing",
        "Write a function reference_span(cigar) that returns the number of reference bases a CIGAR string "
        "covers (operations M, D, N, = and X consume the reference).",
        "def reference_span(cigar):\n"
        "    import re\n"
        "    return sum(int(n) for n, op in re.findall(r'(\\d+)([MIDNSHP=X])', cigar) if op in 'MDN=X')\n",
        "for _ in range(5):\n"
        "    c = ''.join(f'{random.randint(1, 50)}{random.choice(\"MIDNS\")}' for _ in range(5))\n"
        "    print(c, reference_span(c))",
    ),
    SuiteFunction(
        "parsing",
        "Write a function gff_attributes(column) that parses the 9th column of a GFF3 line ('key=value' pairs "
        "separated by ';', surrounding spaces ignored, empty parts skipped) into a dict.",
        "def gff_attributes(column):\n"
        "    out = {}\n"
        "    for part in column.strip().split(';'):\n"
        "        part = part.strip()\n"
        "        if part:\n"
        "            key, _, value = part.partition('=')\n"
        "            out[key.strip()] = value.strip()\n"
        "    return out\n",
        "for i in range(3):\n"
        "    col = f'ID=gene{i}; Name=G{random.randint(1, 99)};biotype=protein_coding;;Note=x y '\n"
        "    print(sorted(gff_attributes(col).items()))",
    ),
    SuiteFunction(
        "parsing",
        "Write a function n50(lengths) that returns the N50 of a list of contig lengths: the largest length L "
        "such that contigs of length >= L hold at least half of the total length.",
        "def n50(lengths):\n"
        "    total, running = sum(lengths), 0\n"
        "    for length in sorted(lengths, reverse=True):\n"
        "        running += length\n"
        "        if 2 * running >= total:\n"
        "            return length\n"
        "    return 0\n",
        "for n in (1, 5, 50):\n    print(n50([random.randint(100, 10000) for _ in range(n)]))",
    ),
]

INTERVALS = [
    SuiteFunction(
        "intervals",
        "Write a function merge_intervals(intervals) that merges overlapping or touching half-open intervals "
        "[start, end) given as (start, end) tuples in any order, returning the merged list sorted by start.",
        "def merge_intervals(intervals):\n"
        "    merged = []\n"
        "    for start, end in sorted(intervals):\n"
        "        if merged and start <= merged[-1][1]:\n"
        "            merged[-1] = (merged[-1][0], max(merged[-1][1], end))\n"
        "        else:\n"
        "            merged.append((start, end))\n"
        "    return merged\n",
        _INTERVALS + "print(merge_intervals(intervals))",
    ),
    SuiteFunction(
        "intervals",
        "Write a function overlap_length(a, b) that returns the number of positions shared by two half-open "
        "intervals (start, end); 0 if they do not overlap.",
        "def overlap_length(a, b):\n    return max(0, min(a[1], b[1]) - max(a[0], b[0]))\n",
        _INTERVALS + "for i in range(0, 12, 2):\n    print(overlap_length(intervals[i], intervals[i + 1]))",
    ),
    SuiteFunction(
        "intervals",
        "Write a function covered_bases(intervals) that returns the number of positions covered by at least one "
        "of the half-open intervals.",
        "def covered_bases(intervals):\n"
        "    total, reach = 0, None\n"
        "    for start, end in sorted(intervals):\n"
        "        if reach is None or start >= reach:\n"
        "            total += end - start\n"
        "            reach = end\n"
        "        elif end > reach:\n"
        "            total += end - reach\n"
        "            reach = end\n"
        "    return total\n",
        _INTERVALS + "print(covered_bases(intervals))\nprint(covered_bases(intervals[:3]))",
    ),
    SuiteFunction(
        "intervals",
        "Write a function intersect_intervals(a, b) that returns the intersections of two lists of sorted, "
        "non-overlapping half-open intervals, as a sorted list of non-empty (start, end) tuples.",
        "def intersect_intervals(a, b):\n"
        "    out, i, j = [], 0, 0\n"
        "    while i < len(a) and j < len(b):\n"
        "        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])\n"
        "        if start < end:\n"
        "            out.append((start, end))\n"
        "        if a[i][1] < b[j][1]:\n"
        "            i += 1\n"
        "        else:\n"
        "            j += 1\n"
        "    return out\n",
        "def disjoint(n):\n"
        "    points = sorted(random.sample(range(1000), 2 * n))\n"
        "    return [(points[k], points[k + 1]) for k in range(0, 2 * n, 2)]\n"
        "print(intersect_intervals(disjoint(8), disjoint(8)))",
    ),
    SuiteFunction(
        "intervals",
        "Write a function genes_at(genes, position) that returns the sorted names of the genes whose half-open "
        "interval contains a position; genes is a dict name -> (start, end).",
        "def genes_at(genes, position):\n"
        "    return sorted(name for name, (start, end) in genes.items() if start <= position < end)\n",
        _INTERVALS + "genes = {f'g{k}': iv for k, iv in enumerate(intervals)}\n"
        "for p in (0, 100, 250, 400, 499):\n    print(p, genes_at(genes, p))",
    ),
]

STATISTICS = [
    SuiteFunction(
        "statistics",
        "Write a function phred_to_error(quality) that returns the base-calling error probability of a Phred "
        "quality score, 10 ** (-quality / 10), rounded to 6 decimals.",
        "def phred_to_error(quality):\n    return round(10 ** (-quality / 10), 6)\n",
        "for q in (0, 10, 20, 30, 41):\n    print(q, phred_to_error(q))",
    ),
    SuiteFunction(
        "statistics",
        "Write a function zscores(values) that returns the z-scores of a list of numbers (population standard "
        "deviation) as a numpy array rounded to 4 decimals.",
        "def zscores(values):\n    a = np.asarray(values, dtype=float)\n    return np.round((a - a.mean()) / a.std(), 4)\n",
        "for n in (4, 10):\n    print(zscores(np.asfarray([random.randint(0, 50) for _ in range(n)])))",
        imports=("import numpy as np",),
    ),
    SuiteFunction(
        "statistics",
        "Write a function benjamini_hochberg(pvalues) that returns Benjamini-Hochberg adjusted p-values (q-values) "
        "in the input order, made monotone and capped at 1, each rounded to 6 decimals, as a list.",
        "def benjamini_hochberg(pvalues):\n"
        "    n = len(pvalues)\n"
        "    order = sorted(range(n), key=lambda i: pvalues[i])\n"
        "    adjusted = [0.0] * n\n"
        "    running = 1.0\n"
        "    for rank in range(n, 0, -1):\n"
        "        i = order[rank - 1]\n"
        "        running = min(running, pvalues[i] * n / rank)\n"
        "        adjusted[i] = round(running, 6)\n"
        "    return adjusted\n",
        "for n in (5, 12):\n    print(benjamini_hochberg([round(random.random() ** 2, 5) for _ in range(n)]))",
    ),
    SuiteFunction(
        "statistics",
        "Write a function median_absolute_deviation(values) that returns the median of the absolute deviations "
        "from the median of a list of numbers.",
        "def median_absolute_deviation(values):\n"
        "    def median(xs):\n"
        "        xs = sorted(xs)\n"
        "        m = len(xs) // 2\n"
        "        return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2\n"
        "    center = median(values)\n"
        "    return median([abs(v - center) for v in values])\n",
        "for n in (5, 8, 31):\n    print(median_absolute_deviation([random.randint(0, 100) for _ in range(n)]))",
    ),
    SuiteFunction(
        "statistics",
        "Write a function shannon_entropy(seq) that returns the Shannon entropy in bits of the symbol "
        "frequencies of a sequence, rounded to 4 decimals (0.0 for an empty sequence).",
        "def shannon_entropy(seq):\n"
        "    if not seq:\n"
        "        return 0.0\n"
        "    counts = {}\n"
        "    for c in seq:\n"
        "        counts[c] = counts.get(c, 0) + 1\n"
        "    h = -sum(n / len(seq) * math.log2(n / len(seq)) for n in counts.values())\n"
        "    return round(h + 0.0, 4)\n",
        "print(shannon_entropy('AAAA'))\nfor n in (10, 1000):\n    print(shannon_entropy(random_sequence(n, 'ACGGT')))",
    ),
    SuiteFunction(
        "statistics",
        "Write a function log2_fold_changes(treated, control, pseudocount) that returns log2((t + pseudocount) / "
        "(c + pseudocount)) for paired counts, rounded to 4 decimals, as a list.",
        "def log2_fold_changes(treated, control, pseudocount):\n"
        "    return [round(math.log2((t + pseudocount) / (c + pseudocount)), 4) for t, c in zip(treated, control)]\n",
        "t = [random.randint(0, 500) for _ in range(8)]\nc = [random.randint(0, 500) for _ in range(8)]\n"
        "print(log2_fold_changes(t, c, 1))\nprint(log2_fold_changes(t, c, 0.5))",
    ),
    SuiteFunction(
        "statistics",
        "Write a function counts_per_million(counts) that normalises a 2-D numpy array of read counts (genes x "
        "samples) to counts per million of each sample (column), rounded to 2 decimals.",
        "def counts_per_million(counts):\n"
        "    counts = np.asarray(counts, dtype=float)\n"
        "    return np.round(counts / counts.sum(axis=0) * 1e6, 2)\n",
        "counts = np.asfarray([[random.randint(0, 1000) for _ in range(3)] for _ in range(5)])\n"
        "print(counts_per_million(counts))",
        imports=("import numpy as np",),
    ),
    SuiteFunction(
        "statistics",
        "Write a function pearson_correlation(x, y) that returns Pearson's correlation coefficient of two "
        "equal-length lists of numbers, rounded to 4 decimals.",
        "def pearson_correlation(x, y):\n"
        "    n = len(x)\n"
        "    mx, my = sum(x) / n, sum(y) / n\n"
        "    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))\n"
        "    sx = math.sqrt(sum((a - mx) ** 2 for a in x))\n"
        "    sy = math.sqrt(sum((b - my) ** 2 for b in y))\n"
        "    return round(sxy / (sx * sy), 4)\n",
        "x = [random.random() for _ in range(20)]\nprint(pearson_correlation(x, [2 * v + random.random() for v in x]))\n"
        "print(pearson_correlation(x, [random.random() for _ in x]))",
    ),
]

METHODS = [
    SuiteFunction(
        "methods",
        "Write a method gc_fraction(self) of the class Read that returns the fraction of G and C in the read's "
        "sequence self.sequence, rounded to 3 decimals.",
        "def gc_fraction(self):\n    return round(sum(b in 'GC' for b in self.sequence) / len(self.sequence), 3)\n",
        "for n in (10, 77):\n    read = Read()\n    read.sequence = random_sequence(n)\n    print(read.gc_fraction())",
        owner="Read",
    ),
    SuiteFunction(
        "methods",
        "Write a static method trim_low_quality(sequence, qualities, threshold) of the class Trimmer that cuts "
        "the read after the last position whose quality is >= threshold and returns (trimmed sequence, trimmed "
        "qualities); both empty if no position qualifies.",
        "@staticmethod\n"
        "def trim_low_quality(sequence, qualities, threshold):\n"
        "    keep = 0\n"
        "    for i, q in enumerate(qualities):\n"
        "        if q >= threshold:\n"
        "            keep = i + 1\n"
        "    return sequence[:keep], qualities[:keep]\n",
        "for n in (10, 25):\n"
        "    quals = [random.randint(2, 40) for _ in range(n)]\n"
        "    print(Trimmer.trim_low_quality(random_sequence(n), quals, 30))",
        owner="Trimmer",
    ),
]

SUITE: list[SuiteFunction] = [*SEQUENCE, *KMERS, *GC, *ALIGNMENT, *PARSING, *INTERVALS, *STATISTICS, *METHODS]
