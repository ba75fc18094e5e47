# Every target installs what it needs into .venv first (fresh machine: python3 with venv and pip).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DERIVATIONS := derivations/ssl_sg.tex derivations/ssl_ema.tex derivations/ssl_gf.tex derivations/attention.tex \
               derivations/directpred.tex derivations/deep_linear.tex \
               derivations/oja_subspace.tex derivations/discrete.tex

.PHONY: install test verify derivations tex pdf pdf-one reproduce bench strata docs clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,plot,dask]"
	touch $(STAMP)

install: $(STAMP)

# the suite runs on every core (pytest-xdist, one test file per worker at a time); one BLAS thread per worker, so
# two workers do not oversubscribe two cores
test: install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n auto --dist loadfile symdyn tests

verify: install
	$(VENV)/bin/symdyn verify --readme README.md

derivations: install
	$(VENV)/bin/symdyn derive ssl --kind sg
	$(VENV)/bin/symdyn derive ssl --kind ema
	$(VENV)/bin/symdyn derive ssl --kind gf
	$(VENV)/bin/symdyn derive attention
	$(VENV)/bin/symdyn derive directpred
	$(VENV)/bin/symdyn derive deep-linear
	$(VENV)/bin/symdyn derive oja-subspace
	$(VENV)/bin/symdyn derive discrete

# LaTeX: installs Debian's texlive-latex-base when no pdflatex is present (needs root and apt)
tex:
	@command -v pdflatex >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends texlive-latex-base >/dev/null)

# every committed derivation (the tests check committed == regenerated); fails on a LaTeX error, an overfull box
# or an undefined reference (symdyn.latex.compile reads the log)
pdf: install tex
	$(PY) -m symdyn.latex.compile --out-dir results/pdf $(DERIVATIONS)
	@echo "PDFs in results/pdf"

pdf-one: install tex
	$(PY) -m symdyn.latex.compile --out-dir results/pdf derivations/ssl_sg.tex

reproduce: install
	$(VENV)/bin/symdyn reproduce ssl-m1 --readme README.md
	$(VENV)/bin/symdyn reproduce ssl-m1-sensitivity --readme README.md
	$(VENV)/bin/symdyn reproduce ssl-branches --readme README.md
	$(VENV)/bin/symdyn reproduce attention-multistability --readme README.md
	$(VENV)/bin/symdyn reproduce figures
	$(VENV)/bin/symdyn continue ssl --param lam --m 1 --n 2 --range 0.001 0.5 --readme README.md \
	    --figure results/figures/ssl_lambda_diagram.png --tex results/continue_ssl.tex
	$(VENV)/bin/symdyn continue ssl --param kappa --kind ema --data examples/ssl_hopf_instance.json --n 4 \
	    --lam 0.049207111720813226 --range 0.05 10 --readme README.md --out results/continue_ssl_kappa.json \
	    --figure results/figures/ssl_kappa_diagram.png --tex results/continue_ssl_kappa.tex
	$(VENV)/bin/symdyn continue attention --param beta --n 5 --range 0 4 --readme README.md \
	    --figure results/figures/attention_beta_diagram.png --tex results/continue_attention.tex

# the documentation site (Sphinx: autodoc + numpydoc API reference, an executed sphinx-gallery of docs/gallery)
docs: install
	$(PY) -m pip install --quiet -e ".[docs]"
	$(PY) -m sphinx -b html -q -W --keep-going docs docs/_build/html
	@echo "site in docs/_build/html/index.html"

bench: install
	$(PY) -m benchmarks.run

# the shipped start systems of the SSL rank strata and of (E1) (symdyn/data/strata): recomputed by seeded monodromy,
# each count found again independently ((E1): a total-degree homotopy; rank strata: a second monodromy from another
# chart and data point); hours on 2 cores, most of it the (4, 3) stratum.  The shipped rank-stratum counts were
# confirmed by Hilbert counts (rank 1, m <= 3), the (V, B̃) formulation (ranks 1 and 2) and a second monodromy
# ((4, 3): 288 both).  Not shipped: m = 5 ((E1) at m = 5 did not finish in 83 min)
strata: install
	rm -f symdyn/data/strata/*.npz
	SYMDYN_CACHE=symdyn/data $(PY) -c "from symdyn.models.ssl_strata import stratum_start; \
	[print(m, r, stratum_start(m, r)[2]) for m, r in ((2, 1), (3, 1), (3, 2), (4, 1), (4, 2), (4, 3))]"
	SYMDYN_CACHE=symdyn/data $(PY) -c "from symdyn.models.ssl_e1_homotopy import e1_start; \
	[print(m, e1_start(m)[2]) for m in (3, 4)]"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache docs/_build docs/generated docs/auto_examples
