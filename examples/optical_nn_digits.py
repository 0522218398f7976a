"""Optical neural network on laser-heated MTJs: device-constrained single layer vs the software one.

    python examples/optical_nn_digits.py                       # scikit-learn's 8x8 digits
    python examples/optical_nn_digits.py --fit RUN_fit.json    # the law fitted from a thermovoltage-map run
    python examples/optical_nn_digits.py --images train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz

Without ``--fit`` the law is the thermo_mtj preset's AP state (what a thermovoltage-map on the
simulated bench recovers within 1-4 %).  ``--save net.npz`` writes the trained network for
``spinbench run onn-inference --bench thermo-mtj --param network=net.npz``. The built-in
``thermo-mtj`` bench's ``thermo-mtj.npz`` (the network ``onn-inference`` takes by default) was
written by this script with its defaults.
"""
from __future__ import annotations

import argparse
import json

from spinbench.analysis import optical_nn as onn
from spinbench.sim_backend.physics.thermo_mtj import ThermoMtjParams


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fit", help="a thermovoltage-map _fit.json (bias law per state)")
    ap.add_argument("--state", default="AP", choices=("P", "AP"))
    ap.add_argument("--images", help="IDX images (MNIST format, .gz ok)")
    ap.add_argument("--labels", help="IDX labels")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--p-max", type=float, default=0.02, help="laser power of a white pixel (W)")
    ap.add_argument("--i-max", type=float, default=1e-3, help="bias range +-A")
    ap.add_argument("--noise", type=float, default=50e-6, help="rms noise of one reading (V)")
    ap.add_argument("--save", help="write the trained network (.npz) with the first 10 test images")
    args = ap.parse_args()
    p = ThermoMtjParams()
    common = dict(p_max=args.p_max, i_max=args.i_max, noise_v=args.noise, spike_rate=2e4,
                  spike_area=(p.spike_amp_ap if args.state == "AP" else p.spike_amp_p) * p.spike_tau)
    if args.fit:
        law = onn.DeviceLaw.from_fit(json.load(open(args.fit)), args.state, **common)
    else:
        s, b1, b3 = ((p.seebeck_ap, p.b1_ap, p.b3_ap) if args.state == "AP" else (p.seebeck_p, p.b1_p, p.b3_p))
        law = onn.DeviceLaw(s, b1, b3, kelvin_per_watt=300.0, **common)
    data = onn.load_dataset(args.images, args.labels)
    res = onn.compare(law, data, epochs=args.epochs)
    print(f"dataset: {res['n_train']} train / {res['n_test']} test, {res['inputs']} inputs")
    print(f"software single layer : {100 * res['software_accuracy']:.1f} %")
    print(f"MTJ optical network   : {100 * res['device_accuracy']:.1f} %  "
          f"(noise-free readout {100 * res['device_accuracy_noise_free']:.1f} %)")
    print(f"gap                   : {res['gap_points']:.1f} points (goal: within 3)")
    if args.save:
        onn.save_network(args.save, law, res["currents"], data["x_test"][:10], data["y_test"][:10])
        print(f"network written to {args.save}")


if __name__ == "__main__":
    main()
