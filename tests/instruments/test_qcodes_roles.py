"""Bench roles as qcodes parameters: qcodes' own ``dond`` sweeps our instruments on @spinbench."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.instruments.bench import Bench
from spinbench.instruments.limits import LimitError
from spinbench.instruments.qcodes_roles import qcodes_station

qcodes = pytest.importorskip("qcodes")
from qcodes.dataset import (LinSweep, dond, initialise_or_create_database_at,  # noqa: E402
                            load_or_create_experiment)


@pytest.fixture
def station(tmp_path):
    initialise_or_create_database_at(str(tmp_path / "q.db"))
    load_or_create_experiment("roles", sample_name="sot-hallbar")
    with Bench.load("sot-hallbar").open() as bench:
        st = qcodes_station(bench, ["field_x", "field_z", "gaussmeter", "voltmeter"])
        try:
            yield st
        finally:
            for component in list(st.components.values()):
                component.close()      # only ours: the bench closes its qcodes drivers itself


def test_dond_sweeps_the_magnet_and_reads_the_gaussmeter(station):
    field_x = station.components["field_x"]          # the 425's probe lies along x on this bench
    gauss = station.components["gaussmeter"]
    assert field_x.field.unit == "T" and gauss.field.unit == "T"
    gauss.role.auto_range()                          # as at the bench: 50 mT is over the default range
    setpoints = np.linspace(-0.05, 0.05, 6)
    dataset, *_ = dond(LinSweep(field_x.field, -0.05, 0.05, 6), gauss.field,
                       do_plot=False, show_progress=False)
    data = dataset.get_parameter_data()["gaussmeter_field"]
    np.testing.assert_allclose(data["field_x_field"], setpoints)
    # the gaussmeter reads what the coil makes (its 0.1 mT display resolution aside)
    np.testing.assert_allclose(data["gaussmeter_field"], setpoints, atol=2e-4)


def test_a_set_point_beyond_the_bench_limit_is_refused_not_clipped(station):
    field_z = station.components["field_z"]
    field_z.field(0.01)
    with pytest.raises(LimitError, match="0.15"):        # sot-hallbar: magnet_z max_field 0.15 T
        field_z.field(0.2)
    assert field_z.field() == pytest.approx(0.01, abs=1e-4)


def test_a_role_without_qcodes_parameters_is_refused_by_name(tmp_path):
    with Bench.load("sot-hallbar").open() as bench:
        with pytest.raises(TypeError, match="pulse_delta"):
            qcodes_station(bench, ["pulse_delta"])
