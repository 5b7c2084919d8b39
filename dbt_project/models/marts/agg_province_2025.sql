-- Every year under today's 34 provinces: a 2019 figure of Thái Bình rolls into Hưng Yên (33).
{{ rollup(['province_2025_code']) }}
