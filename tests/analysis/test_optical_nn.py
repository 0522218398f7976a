"""Optical neural network: the IDX loader on tiny generated files (plain and gzip), the device
network against the software single layer of the same shape on scikit-learn's digits."""
import gzip
import struct

import numpy as np
import pytest

from spinbench.analysis import optical_nn as onn
from spinbench.sim_backend.physics.thermo_mtj import ThermoMtjParams


def write_idx(path, array, type_code):
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as fh:
        fh.write(data)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_loader_reads_a_tiny_mnist_format_pair(tmp_path, suffix):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 4, 5), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
    write_idx(tmp_path / f"img.idx3-ubyte{suffix}", images, 0x08)
    write_idx(tmp_path / f"lab.idx1-ubyte{suffix}", labels, 0x08)
    np.testing.assert_array_equal(onn.load_idx(tmp_path / f"img.idx3-ubyte{suffix}"), images)
    np.testing.assert_array_equal(onn.load_idx(tmp_path / f"lab.idx1-ubyte{suffix}"), labels)
    data = onn.load_dataset(tmp_path / f"img.idx3-ubyte{suffix}", tmp_path / f"lab.idx1-ubyte{suffix}",
                            test_fraction=1 / 3)
    assert data["x_train"].shape == (4, 20) and data["x_test"].shape == (2, 20)
    assert data["x_train"].max() <= 1.0 and sorted(np.r_[data["y_train"], data["y_test"]]) == sorted(labels)
    # 16-bit big-endian data and malformed files
    write_idx(tmp_path / "w.idx", np.arange(6, dtype=np.int16).reshape(2, 3), 0x0B)
    np.testing.assert_array_equal(onn.load_idx(tmp_path / "w.idx"), np.arange(6).reshape(2, 3))
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="not an IDX"):
        onn.load_idx(tmp_path / "bad.idx")


def test_device_network_is_within_reach_of_the_software_single_layer():
    p = ThermoMtjParams()
    law = onn.DeviceLaw(p.seebeck_ap, p.b1_ap, p.b3_ap, kelvin_per_watt=300.0, p_max=0.02, i_max=1e-3,
                        noise_v=50e-6, spike_rate=2e4, spike_area=p.spike_amp_ap * p.spike_tau)
    res = onn.compare(law, epochs=150, seed=0)
    assert res["inputs"] == 64 and res["n_test"] == 359
    assert res["software_accuracy"] > 0.93
    assert res["device_accuracy"] > res["software_accuracy"] - 0.05
    cur = res["currents"]
    assert cur.shape == (10, 65) and np.abs(cur).max() <= 1e-3          # the bias range holds
    # the weights use both signs of the cubic law, as the hardware must
    w = law.weight(cur)
    assert (w > 0).any() and (w < 0).any()
