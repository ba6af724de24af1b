"""Names vulture cannot see being used (read by vulture only, never imported).

Attributes set on library objects are read by the library: openpyxl (workbook properties, cell styles,
print setup, data validation), python-docx (section page setup, core properties, table layout),
Jinja (environment options), waitress (task and channel hooks), expat (parser handlers). Flask's ``g``
values set in one hook are read in another with ``g.pop("name")`` or by a template.
"""

_ = object()

# openpyxl
_.creator
_.alignment
_.freeze_panes
_.print_title_rows
_.paperSize
_.orientation
_.fitToWidth
_.fitToHeight
_.fitToPage
_.horizontalCentered
_.prompt
_.promptTitle
_.showInputMessage
_.formatColumns
_.formatRows
_.data_type
# python-docx
_.italic
_.rgb
_.keep_with_next
_.keep_together
_.space_before
_.line_spacing
_._blob
_.page_height
_.page_width
_.bottom_margin
_.top_margin
_.left_margin
_.right_margin
_.footer_distance
_.author
_.last_modified_by
_.created
_.modified
_.revision
_.comments
_.autofit
# Jinja environment options
_.trim_blocks
_.lstrip_blocks
# expat parser handlers and options
_.StartDoctypeDeclHandler
_.EntityDeclHandler
_.buffer_text
_.StartElementHandler
_.EndElementHandler
_.CharacterDataHandler
# waitress hooks
_.content_length
_.error_task_class
_.will_close
_.__class__
# flask.g values read back with g.pop()
_.export_slot
_.page_key
_.monitor_warning  # read by templates/indicators.html
# numpy: a cached mask is made read-only
_.writeable
# jieba: the benchmark's naive anchor rebuilds the index as it was first written
_.initialized
