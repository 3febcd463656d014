"""Checks action.yml, which actionlint does not read, and prints its steps as a workflow that
actionlint can check (expressions, step ids, shellcheck of each `run:`):

    python scripts/check-action.py | actionlint -stdin-filename action.yml -

Needs PyYAML. Exits 1 naming the first problem it finds in the action's own shape."""

import re
import sys

import yaml


def fail(message):
    sys.exit(f"action.yml: {message}")


with open("action.yml", encoding="utf-8") as file:
    action = yaml.safe_load(file)
if not isinstance(action, dict):
    fail("not a YAML mapping")
for key in ("name", "description", "runs"):
    if not action.get(key):
        fail(f"no {key}")
runs = action["runs"]
if runs.get("using") != "composite":
    fail(f"runs.using is {runs.get('using')!r}, not composite")
inputs = action.get("inputs") or {}
for name, spec in inputs.items():
    if not (spec or {}).get("description"):
        fail(f"input {name} has no description")
steps = runs.get("steps") or []
if not steps:
    fail("no steps")
step_ids = {step.get("id") for step in steps}
for index, step in enumerate(steps):
    if "run" in step and "shell" not in step:
        fail(f"step {index + 1} runs a command with no shell (composite steps need one)")
for name, spec in (action.get("outputs") or {}).items():
    match = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.[\w-]+ \}\}", str(spec.get("value")))
    if not match or match.group(1) not in step_ids:
        fail(f"output {name} is not the output of one of its steps")
text = yaml.safe_dump(action)
for used in re.findall(r"inputs\.([\w-]+)", text):
    if used not in inputs:
        fail(f"uses inputs.{used}, which it does not declare")
for script in re.findall(r"\$GITHUB_ACTION_PATH/([\w./-]+)", text):
    try:
        open(script, encoding="utf-8").close()
    except OSError:
        fail(f"runs {script}, which is not in the repository")

# The steps as a reusable workflow's job: `inputs` means the same there.
workflow = {
    "on": {
        "workflow_call": {
            "inputs": {
                name: {"description": spec["description"], "type": "string", "required": False}
                for name, spec in inputs.items()
            }
        }
    },
    "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": steps}},
}
print(yaml.safe_dump(workflow, sort_keys=False))
