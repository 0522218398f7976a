"""Brown's relaxation time against the lowest eigenvalue of the Fokker-Planck (Smoluchowski)
operator of a uniaxial macrospin, solved here by finite volumes (independent of the code)."""
import math

import numpy as np
import pytest
from scipy.linalg import eigh_tridiagonal

from spinbench.sim_backend.physics import analytic as an


def lowest_rates(delta: float, n: int = 4000) -> np.ndarray:
    """The two lowest eigenvalues (units 1/tau_N) of Brown's axially symmetric operator
    ``2 tau_N dW/dt = d/dx[(1 - x^2)(dW/dx - 2 Delta x W)]`` on x = cos(theta) in [-1, 1]
    (zero flux at the poles): a conservative finite-volume scheme of the flux
    ``(1 - x^2) e^{-U} d/dx(e^{U} W)``, U = -Delta x^2, made symmetric by W = e^{-U/2} psi."""
    edges = np.linspace(-1.0, 1.0, n + 1)
    h = edges[1] - edges[0]
    x = 0.5 * (edges[1:] + edges[:-1])
    u = -delta * x**2
    faces = edges[1:-1]
    d = (1.0 - faces**2) * np.exp(delta * faces**2)          # (1 - x^2) e^{-U} on the faces
    off = 0.5 * d * np.exp(0.5 * (u[1:] + u[:-1])) / h**2
    diag = np.zeros(n)
    diag[:-1] += 0.5 * d * np.exp(u[:-1]) / h**2
    diag[1:] += 0.5 * d * np.exp(u[1:]) / h**2
    return eigh_tridiagonal(diag, -off, select="i", select_range=(0, 1), eigvals_only=True)


def test_the_solver_reproduces_free_rotational_diffusion():
    # Delta = 0: Legendre modes, lambda_l = l (l + 1) / 2 in units of 1/tau_N -> lambda_1 = 1
    zero, first = lowest_rates(0.0)
    assert abs(zero) < 1e-8 and first == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("delta", [10.0, 15.0, 20.0])
def test_brown_relaxation_time_is_the_inverse_lowest_eigenvalue(delta):
    _, lam = lowest_rates(delta)
    tau_n = 3e-10
    tau = float(an.brown_relaxation_time(delta, tau_n))
    exact = tau_n / lam
    assert tau / exact == pytest.approx(1.0, abs=2.5 / delta**2)
    if delta == 10.0:      # the correction multiplies: 1.124x Brown's leading term
        leading = tau_n * math.sqrt(math.pi) / 2 * delta**-1.5 * math.exp(delta)
        assert exact / leading == pytest.approx(1.124, abs=0.002)
