"""BioCoder's kernel environment: the official programs' libraries at versions under which they run as written.

The programs come from bioinformatics projects of the early 2020s (CNVkit, CellProfiler, …) and use APIs that
later releases removed; each pin is the newest release that still has them *and* a wheel for the host's
Python 3.11 with numpy 1.26 (environments are built from wheels only):

- numpy 1.26.4: ``np.asfarray`` and the other names numpy 2 removed;
- scipy 1.10.1: ``scipy.stats.binom_test`` (removed in 1.12), ``scipy.signal.gaussian`` and other window
  functions at the top level (removed in 1.13), ``scipy.integrate.simps``; ``chisquare``'s check that
  observed and expected sums agree is in every scipy with a cp311 wheel (1.9.2 on), so a program that
  relied on the older leniency fails its reference and is excluded with the error;
- scikit-image 0.20.0: ``filters.inverse``, ``filters.compute_hessian_eigenvalues``, the ``seed=`` and
  ``random_state=`` keywords (``random_noise``, ``ransac``, ``medial_axis``, …; ``rng`` from 0.21 on) and
  public submodules such as ``skimage.feature.peak`` and ``skimage.measure.profile``, all gone by 0.24;
  ``multichannel=`` was removed in 0.20 and 0.19 has no cp311 wheel, so such a program is excluded too;
- pandas 1.5.3: ``DataFrame.append``, ``Series.iteritems`` (removed in 2.0);
- scikit-learn 1.2.2: ``AgglomerativeClustering(affinity=)`` (removed in 1.4) and ``KMeans``'s old
  ``n_init=10`` default (``'auto'`` from 1.4 gives other clusters);
- pysam, biopython, centrosome (CellProfiler's algorithms) as the programs import them.

Modules some programs import that no installable distribution provides (aTRAM's ``lib``, for one) are left
out: such a reference fails with ``ModuleNotFoundError`` and its task is excluded with that reason. What the
libraries pull in that can change what a program prints is pinned too, so that a fresh build is the same build.
"""

from __future__ import annotations

from medgym_nb.kernel.environments import KernelEnvironment

__all__ = ["BIOCODER_ENV"]

BIOCODER_ENV = KernelEnvironment(
    name="biocoder",
    requirements=(
        "numpy==1.26.4",
        "scipy==1.10.1",
        "scikit-image==0.20.0",
        "pandas==1.5.3",
        "scikit-learn==1.2.2",
        "pysam==0.22.1",
        "biopython==1.84",
        "centrosome==1.3.4",
        # what they pull in that can change what a program prints, pinned so a fresh build is the same build
        "imageio==2.38.1",
        "joblib==1.6.0",
        "lazy-loader==0.6",
        "networkx==3.6.1",
        "pillow==11.3.0",
        "python-dateutil==4.0.0",
        "pytz==2026.6",
        "pywavelets==1.9.0",
        "threadpoolctl==3.8.0",
        "tifffile==2026.3.3",
        "tzdata==2026.6",
    ),
    imports=("numpy", "scipy", "skimage", "pandas", "sklearn", "pysam", "Bio", "centrosome", "pywt"),
)
"""The official programs' libraries at versions under which they run as written (see the module docstring)."""
