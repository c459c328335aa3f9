"""What content tells the apps above it (the reviews app records a version of every text written).

A single save (the admin, the staff editors) sends Django's ``post_save`` as usual; the pack
loader writes hundreds of texts in bulk, which sends no ``post_save``, so it sends this instead.
"""

from django.dispatch import Signal

# Texts were written in bulk, inside the writing transaction: ``sender`` is the model
# (StageMessage, SpecialMessage or BirthdayMessage), ``rows`` the created and changed rows.
texts_written = Signal()
