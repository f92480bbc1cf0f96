"""Physical constants the course converts with, in one place.

Values are CODATA 2018 (E. Tiesinga, P. J. Mohr, D. B. Newell and B. N. Taylor,
*Rev. Mod. Phys.* 93, 025010 (2021), DOI 10.1103/RevModPhys.93.025010), the
set NIST publishes and that QM9's Hartree energies are converted with here.

Examples
--------
>>> round(1.0 / ANGSTROM_TO_BOHR, 12)  # the Bohr radius in Å
0.529177210903
>>> round(HARTREE_TO_KCAL_PER_MOL * 4.184 / 2625.4996394799, 9)  # kcal → kJ: one hartree per mole is 2625.4996 kJ/mol
1.0
"""

from __future__ import annotations

__all__ = ["ANGSTROM_TO_BOHR", "BOHR_RADIUS_ANGSTROM", "HARTREE_TO_EV", "HARTREE_TO_KCAL_PER_MOL"]

#: The Bohr radius a₀ in Å (CODATA 2018).
BOHR_RADIUS_ANGSTROM: float = 0.529177210903

#: 1 Å in bohr, 1 / a₀.
ANGSTROM_TO_BOHR: float = 1.0 / BOHR_RADIUS_ANGSTROM

#: 1 hartree per particle in kcal/mol: E_h N_A / (4184 J/kcal), with
#: E_h = 4.3597447222071e-18 J and N_A = 6.02214076e23 /mol (CODATA 2018).
HARTREE_TO_KCAL_PER_MOL: float = 627.5094740631

#: 1 hartree in eV (CODATA 2018).
HARTREE_TO_EV: float = 27.211386245988
