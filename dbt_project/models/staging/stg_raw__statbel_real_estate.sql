{{ stage_canonical([source('raw', 'statbel_real_estate')]) }}
