"""A LaTeX-only fix for ``make pdf`` (sphinx-exercise 1.x); the HTML build is untouched.

In LaTeX, sphinx-exercise labels an exercise ``exercise:<label>`` and rewrites only the references
that come from the exercise's own page. A reference from another chapter still points to
``<doc>:<label>``, which the LaTeX file does not define, so the PDF prints "Exercise ??". This
post-transform rewrites those references the same way.
"""

from __future__ import annotations

from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

__all__ = ["CrossChapterExerciseReferences", "setup"]


class CrossChapterExerciseReferences(SphinxPostTransform):
    """Point every numbered reference to an exercise at the exercise's LaTeX label."""

    default_priority = 23  # after sphinx-exercise's ResolveLinkTextToSolutions (22)
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_latex_number_reference

        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in list(self.document.findall(addnodes.number_reference)):
            if isinstance(node, exercise_latex_number_reference) or node.get("refid"):
                continue  # already rewritten by sphinx-exercise (a same-page reference)
            label = node.get("refuri", "").rpartition("#")[2]
            target = registry.get(label, {}).get("node")
            if isinstance(target, exercise_enumerable_node):
                node.replace_self(exercise_latex_number_reference("", "", *node.children, refid=label))


def setup(app):
    app.add_post_transform(CrossChapterExerciseReferences)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
