"""The re-run over an unchanged folder, at sizes bench/ingest.py takes too long to ingest.

    python bench/rerun.py [--files 100000] [--rounds 3]

Writes (once, cached in bench/.cache/) N short distinct French text dumps made here (a headline,
a byline, a date line and a few paragraphs of generated sentences, no third-party text), ingests
them into a fresh archive with the default workers, then times `newsarchive ingest` again on the
unchanged folder, `--rounds` times. The re-run reads no file: it walks the folder, stats every
file and finds its path, size and modification time on record. The last line is:

    rerun files=N ingest_s=T rerun_s=T (best of the rounds) rerun_max_s=T
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GENERATOR = 1

SUBJECTS = [
    "Le conseil municipal", "La préfecture", "Le syndicat des transports", "L'association des riverains",
    "La région", "Le rectorat", "La chambre de commerce", "Le club de football", "L'hôpital", "La mairie",
]  # fmt: skip
VERBS = [
    "a présenté", "a voté", "a annoncé", "a reporté", "a contesté", "a financé", "a inauguré", "a prolongé",
]  # fmt: skip
OBJECTS = [
    "un nouveau budget pour les écoles", "le projet de piste cyclable", "la rénovation du marché couvert",
    "un plan contre les inondations", "la fermeture de la ligne de bus", "un festival de musique en plein air",
    "l'extension de la zone industrielle", "un dispositif d'aide aux commerçants",
]  # fmt: skip
TAILS = [
    "lors de la séance de mardi soir.", "malgré l'opposition d'une partie des élus.",
    "après plusieurs mois de concertation.", "sans attendre l'avis de l'État.",
    "devant une salle comble.", "ce qui a surpris les habitants du quartier.",
]  # fmt: skip
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre"]


def dump(n: int, rng: random.Random) -> str:
    def sentence() -> str:
        return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"

    paragraphs = [" ".join(sentence() for _ in range(rng.randint(3, 5))) for _ in range(rng.randint(3, 6))]
    paragraphs[0] += f" Le dossier numéro {n} sera examiné de nouveau à l'automne."
    return "\n".join(
        [
            "Accueil",
            "Actualités",
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} (dossier {n})",
            "Par la rédaction",
            f"Publié le {rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(2015, 2025)}",
            *paragraphs,
            "Partager sur Facebook",
            "Laisser un commentaire",
        ]
    )


def build(folder: Path, files: int) -> None:
    done = folder.parent / f"{folder.name}.complete"
    if done.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    rng = random.Random(files)
    for n in range(files):
        sub = folder / f"{n // 1000:04d}"
        if n % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{n:07d}.txt").write_text(dump(n, rng), encoding="utf-8")
    done.write_text("", encoding="utf-8")


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cache = ROOT / "bench" / ".cache"
    folder = cache / f"rerun-{args.files}-g{GENERATOR}"
    start = time.perf_counter()
    build(folder, args.files)
    print(f"folder: {args.files} files, {time.perf_counter() - start:.1f} s to build (or found built)")
    db = cache / f"rerun-{args.files}.db"
    for stale in db.parent.glob(db.name + "*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    cmd = [str(BIN / "newsarchive"), "ingest", str(folder), "--db", str(db), "--quiet"]
    first = run(cmd)
    print(f"ingest: {first:.1f} s ({args.files / first:.0f} files/s)")
    reruns = [run(cmd) for _ in range(args.rounds)]
    print("re-runs: " + ", ".join(f"{s:.2f} s" for s in reruns))
    print(f"rerun files={args.files} ingest_s={first:.1f} rerun_s={min(reruns):.2f} rerun_max_s={max(reruns):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
