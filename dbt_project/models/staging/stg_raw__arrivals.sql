{{ stage_canonical([source('raw', 'arrivals')]) }}
