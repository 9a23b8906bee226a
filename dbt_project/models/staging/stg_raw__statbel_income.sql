{{ stage_canonical([source('raw', 'statbel_income')]) }}
