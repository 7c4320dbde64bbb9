"""Words of the demo city: neighborhood names, business names, streets, license texts.

All of it is made up. The registry's own license descriptions map to NAICS sectors the
way a city profile would map a real registry's; two descriptions are deliberately left
unmapped so that the "unmapped categories" report has something to show.
"""
from __future__ import annotations

NEIGHBORHOOD_NAMES = [
    "Harbor Flats", "Cedar Hill", "Maple Grove", "Birch Park", "Elm Ridge", "Willow Bend",
    "Aspen Heights", "Oak Terrace", "Sycamore Row", "Linden Square", "Hawthorn",
    "Bluestem", "Foxglove", "Heron Point", "Kingfisher", "Lantern Hill", "Millbrook",
    "Northgate", "Orchard Row", "Pinecrest", "Quarry Park", "Redbud", "Sandpiper",
    "Thistle Green", "Union Flats", "Violet Hill", "Westbrook", "Yarrow Fields",
    "Alder Court", "Brookside", "Clover Heights", "Dogwood", "Eastlake", "Goldenrod",
    "Hollyhock", "Ironwood", "Kestrel Ridge", "Larkspur", "Meadowlark", "Nettle Creek",
    "Sumac Hollow", "Tamarack", "Wren Park", "Bramble Gate",
]

# License description (the registry's own text) → NAICS sector.
RAW_CATEGORIES: dict[str, str] = {
    "Retail Food Establishment": "72", "Mobile Food Vendor": "72", "Bakery": "72",
    "Tavern": "72", "Retail Merchant": "44-45", "Secondhand Dealer": "44-45",
    "Florist": "44-45", "Grocery Store": "44-45", "Online Seller": "44-45",
    "Home Caterer": "72", "Cottage Food": "72", "Home Crafts Maker": "31-33",
    "Home Health Aide": "62", "Professional Office": "54",
    "Accounting Office": "54", "Design Studio": "54", "Law Office": "54",
    "General Contractor": "23", "Plumbing Contractor": "23", "Electrical Contractor": "23",
    "Home Repair": "23", "Barber Shop": "81", "Beauty Salon": "81", "Nail Salon": "81",
    "Repair Shop": "81", "Dry Cleaner": "81", "Pet Grooming": "81",
    "Child Care Home": "62", "Child Care Center": "62", "Health Clinic": "62",
    "Massage Therapy": "62", "Tutoring Service": "61", "Music Lessons": "61",
    "Driving School": "61", "Janitorial Service": "56", "Security Service": "56",
    "Landscaping Service": "56", "Moving Company": "48-49", "Courier Service": "48-49",
    "Taxi or Rideshare Fleet": "48-49", "Property Management": "53", "Equipment Rental": "53",
    "Insurance Agency": "52", "Money Transmitter": "52", "Print Shop": "51",
    "Recording Studio": "51", "Fitness Studio": "71", "Art Gallery": "71",
    "Amusement Device": "71", "Machine Shop": "31-33", "Food Processing": "31-33",
    "Woodworking Shop": "31-33", "Wholesale Distributor": "42", "Warehouse Sales": "42",
    "Urban Farm": "11", "Gravel Pit": "21", "Utility Contractor": "22",
    "Holding Company Office": "55", "Government Concession": "92",
}
UNMAPPED_DESCRIPTIONS = ["Miscellaneous Permit", "Special Event Vendor"]
CHILD_CARE_HOME = "Child Care Home"
# What a home-based business of these sectors is licensed as (others keep their texts).
HOME_DESCRIPTIONS = {"44-45": ["Online Seller"], "72": ["Home Caterer", "Cottage Food"],
                     "62": [CHILD_CARE_HOME, CHILD_CARE_HOME, "Home Health Aide"],
                     "31-33": ["Home Crafts Maker"]}

LICENSE_BY_SECTOR = {"72": "Retail food", "44-45": "Retail merchant", "23": "Contractor",
                     "81": "Personal services", "62": "Health and child care",
                     "31-33": "Manufacturing"}
GENERAL_LICENSE = "General business"
HOME_LICENSES = ("Home occupation", "Family child care home")
LIMITED_LICENSE = "Limited business"

NAME_STARTS = [
    "Juniper", "Blue Heron", "Prairie", "Lantern", "Copper", "Red Oak", "Northwind",
    "Maple", "Silver Creek", "Harbor", "Cardinal", "Fox Run", "Golden", "Ironwood",
    "Kettle", "Meadow", "Riverbend", "Summit", "Thistle", "Willow", "Bright Day",
    "Corner", "Union", "Evergreen", "Bluebird", "Stonegate", "Sunrise", "Two Rivers",
    "Old Depot", "Little Acorn", "High Plains", "Lucky", "Good Neighbor", "Tall Grass",
]
NAME_ENDS: dict[str, list[str]] = {
    "72": ["Kitchen", "Diner", "Bakery", "Noodle House", "Taqueria", "Coffee", "Grill",
           "Pizza", "Tea Room", "Deli", "Catering", "Tavern"],
    "44-45": ["Goods", "Books", "Hardware", "Market", "Outfitters", "Boutique", "Thrift",
              "Flowers", "Pharmacy", "Records", "Bikes", "Grocery"],
    "54": ["Consulting", "Accounting", "Design", "Law Office", "Engineering",
           "Tax Service", "Marketing", "Architects", "Web Studio", "Translations"],
    "23": ["Builders", "Plumbing", "Electric", "Roofing", "Painting", "Remodeling",
           "Concrete", "Heating & Air", "Handyman", "Flooring"],
    "81": ["Barbers", "Salon", "Nails", "Auto Repair", "Tailoring", "Cleaners",
           "Pet Grooming", "Shoe Repair", "Phone Repair", "Laundromat"],
    "62": ["Child Care", "Daycare", "Family Dental", "Counseling", "Clinic",
           "Physical Therapy", "Home Health", "Massage"],
    "61": ["Tutoring", "Music Lessons", "Dance School", "Driving School", "Learning Center"],
    "56": ["Cleaning", "Lawn Care", "Security", "Staffing", "Pest Control"],
    "48-49": ["Movers", "Courier", "Trucking", "Delivery", "Cab Co."],
}
GENERIC_ENDS = ["Company", "Services", "Group", "Works", "Partners", "Supply"]

STREETS = [
    "Main St", "Market St", "Juniper Ave", "Cedar St", "Depot Rd", "Harbor Dr",
    "Prairie Ave", "Mill Rd", "Union Ave", "Lake St", "Grand Ave", "Oak St", "Elm St",
    "Washington Ave", "1st Ave", "2nd Ave", "3rd Ave", "4th St", "5th St", "6th St",
    "Rail Yard Rd", "Heron Way", "Bluestem Blvd", "Orchard Ln", "County Road 12",
]
