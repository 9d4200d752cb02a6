"""The segments context's part of the schema."""

from strawberry.tools import merge_types

from graph.segments.mutations.change_segment_members import ChangeSegmentMembersMutation
from graph.segments.mutations.create_segment import CreateSegmentMutation
from graph.segments.mutations.delete_segment import DeleteSegmentMutation
from graph.segments.mutations.import_segment_members import ImportSegmentMembersMutation
from graph.segments.mutations.update_segment import UpdateSegmentMutation
from graph.segments.queries import SegmentQuery

Query = SegmentQuery
Mutation = merge_types(
    "SegmentMutation",
    (
        CreateSegmentMutation,
        UpdateSegmentMutation,
        DeleteSegmentMutation,
        ChangeSegmentMembersMutation,
        ImportSegmentMembersMutation,
    ),
)
