# rules/dp: the differential-privacy accountant.
